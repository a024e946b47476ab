import type { TSchema } from './schema.js';

/**
 * What every component a job names by its YAML `type:` declares (a source, an operator, an alert
 * receiver): the schema of its settings and a line for the docs. Each kind adds its own `build`,
 * which turns validated settings into the runtime component.
 */
export interface ComponentSpec {
  readonly type: string;
  readonly description: string;
  /** Schema of its settings (schema.ts): the validator, the defaults and the README's option table. */
  readonly schema: TSchema | object;
}

/**
 * The components of one kind by their YAML `type`, filled from an explicit list (no registration
 * by importing a module); a type listed twice is refused. Its `types` are the job schema's enum.
 */
export class ComponentRegistry<Spec extends ComponentSpec> {
  private readonly specs = new Map<string, Spec>();

  constructor(
    readonly kind: string,
    specs: readonly Spec[],
  ) {
    for (const spec of specs) {
      if (this.specs.has(spec.type)) throw new Error(`${kind} type '${spec.type}' is registered twice`);
      this.specs.set(spec.type, spec);
    }
  }

  get(type: string): Spec | undefined {
    return this.specs.get(type);
  }

  /** Every type, in the order listed. */
  get types(): string[] {
    return [...this.specs.keys()];
  }

  values(): IterableIterator<Spec> {
    return this.specs.values();
  }
}
