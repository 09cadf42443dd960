/**
 * zod compiles fast object parsers with `new Function` when it is allowed to, and probes for that
 * by calling it once, which the page's Content-Security-Policy (no 'unsafe-eval') reports as a
 * violation. Parsing without the compiled fast path is what the policy wants. Imported first by
 * the page's entry (main.tsx): the setting must be made before any schema is built.
 */
import { config } from 'zod';

config({ jitless: true });
