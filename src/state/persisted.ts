/**
 * How a store declares what the session keeps of it: which keys of the session record it fills,
 * the schema each is checked against when read back, how its state becomes those values and how
 * they become its state again. The stores declare; state/persistence loops over the declarations
 * (PERSISTED_STORES in persistence/records.ts) to build the record's schema, write the record,
 * watch for changes and restore — it lists no field by hand, and no store imports it.
 */
import type { z } from 'zod';

/** The part of a zustand store persistence uses. */
export interface PersistedStore<S> {
  getState(): S;
  setState(patch: Partial<S>): void;
  subscribe(listener: (state: S, previous: S) => void): () => void;
}

/** What a restore can check saved values against: the session's files and trajectories. */
export interface RestoreContext {
  hasTrajectory(key: string): boolean;
  hasFile(id: number): boolean;
}

export interface PersistDeclaration<S, Shape extends z.ZodRawShape, Live extends { [K in keyof Shape]: unknown }> {
  store: PersistedStore<S>;
  /** The session record's keys this store fills, each with its schema (bounds, defaults). */
  fields: Shape;
  /** The store keys that feed those fields: a change to any of them is saved. */
  watch: readonly (keyof S)[];
  /** The values as the store holds them (what the writer's snapshot carries). */
  live(state: S): Live;
  /** The values as the record saves them. */
  save(live: Live): z.input<z.ZodObject<Shape>>;
  /** The store patch that brings back validated saved values. */
  restore(saved: z.output<z.ZodObject<Shape>>, context: RestoreContext): Partial<S>;
}

/** Any declaration, for the loops. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyPersistDeclaration = PersistDeclaration<any, z.ZodRawShape, any>;

/** A declaration (the identity: it only fixes the types). */
export function persist<S, const Shape extends z.ZodRawShape, Live extends { [K in keyof Shape]: unknown }>(
  declaration: PersistDeclaration<S, Shape, Live>,
): PersistDeclaration<S, Shape, Live> {
  return declaration;
}

/**
 * The common case: a store whose state (its data keys) is one object of the record, saved as it
 * is under `recordKey` and restored as it is; `restore` may adjust what comes back.
 */
export function persistWhole<S extends object, const K extends string, T extends z.ZodObject>(
  store: PersistedStore<S>,
  recordKey: K,
  schema: T,
  adjust: (saved: z.output<T>, context: RestoreContext) => z.output<T> = (saved) => saved,
): PersistDeclaration<S, { [P in K]: T }, { [P in K]: z.output<T> }> {
  const keys = Object.keys(schema.shape) as (keyof S & string)[];
  const pick = (state: S) => Object.fromEntries(keys.map((k) => [k, state[k]])) as z.output<T>;
  return {
    store,
    fields: { [recordKey]: schema } as { [P in K]: T },
    watch: keys,
    live: (state) => ({ [recordKey]: pick(state) }) as { [P in K]: z.output<T> },
    save: (live) => live as z.input<z.ZodObject<{ [P in K]: T }>>,
    restore: (saved, context) => adjust((saved as Record<K, z.output<T>>)[recordKey], context) as Partial<S>,
  };
}
