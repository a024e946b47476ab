import { describe, expect, it } from 'vitest';
import { ComponentRegistry } from '../../../operators/config/component-registry.js';
import { Type } from '../../../operators/config/schema.js';
import { OPERATOR_FACTORIES } from '../../../pipelines/registry.js';
import { SOURCE_TYPES } from '../../../pipelines/source-binding.js';
import { RECEIVERS } from '../../../sinks/alerts/registry.js';
import { RECEIVER_TYPES } from '../../../sinks/alerts/types.js';

const spec = (type: string) => ({ type, description: type, schema: Type.Object({}) });

describe('component registry', () => {
  it('keeps the listed order and refuses a type listed twice', () => {
    expect(new ComponentRegistry('source', [spec('b'), spec('a')]).types).toEqual(['b', 'a']);
    expect(() => new ComponentRegistry('source', [spec('a'), spec('a')])).toThrow("source type 'a' is registered twice");
  });

  it('lists every source, operator and receiver type a job can name', () => {
    expect(SOURCE_TYPES.types).toEqual(['files', 'kafka']);
    expect(OPERATOR_FACTORIES.types).toEqual(['customer_windows', 'contact_kpis', 'customer_shifts', 'population_drift', 'service_triggers']);
    // The receiver schema's enum (sinks/alerts/types.ts) and the registry name the same types.
    expect([...RECEIVERS.types].sort()).toEqual([...RECEIVER_TYPES].sort());
  });
});
