/** `1 step`, `2 steps`, `1 trajectory`, `3 trajectories`: a count with its noun in the right number. */
export function plural(count: number, singular: string, pluralForm = pluralOf(singular)): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? singular : pluralForm}`;
}

/** The regular English plural of a noun (`trajectory` → `trajectories`, `match` → `matches`). */
export function pluralOf(noun: string): string {
  if (/[^aeiou]y$/.test(noun)) return `${noun.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/.test(noun)) return `${noun}es`;
  return `${noun}s`;
}
