/**
 * The job YAML's `console` section (and the flags of `pulse console`): where the web console
 * listens and how it links to itself.
 */
import { Duration, Type, type Static } from '../operators/config/schema.js';
import { requireDuration } from '../operators/duration.js';

export const CONSOLE_SCHEMA = Type.Object(
  {
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 0, description: 'serve the console on this port (0 = off); --console-port overrides' }),
    host: Type.String({ default: '127.0.0.1', description: 'address to listen on (0.0.0.0 behind a proxy or in a container)' }),
    base_url: Type.Optional(
      Type.String({
        pattern: '^https?://[^\\s]+$',
        description: 'external address of the console, e.g. https://pulse.example.com; alerts, e-mails and reports link to its pages',
      }),
    ),
    due_soon: Duration({ default: '24h', description: 'cases due within this time are listed after the overdue ones, marked due soon' }),
  },
  { additionalProperties: false, default: {}, description: 'the web console (console/README.md): cases, alerts, users' },
);

export interface ConsoleSettings {
  port: number;
  host: string;
  /** Without a trailing slash; undefined: links are relative to the page. */
  baseUrl: string | undefined;
  dueSoonMs: number;
}

/** The validated YAML section (defaults filled by the schema) as settings. */
export function consoleSettings(section: Static<typeof CONSOLE_SCHEMA>): ConsoleSettings {
  return {
    port: section.port,
    host: section.host,
    baseUrl: section.base_url?.replace(/\/+$/, ''),
    dueSoonMs: requireDuration(section.due_soon),
  };
}

/** The console page of an alert's case, or of the alert itself. */
export function consoleLink(baseUrl: string, alert: { alert_id: string; labels: Readonly<Record<string, string>> }): string {
  const caseId = alert.labels['case_id'];
  return caseId !== undefined ? `${baseUrl}/cases/${encodeURIComponent(caseId)}` : `${baseUrl}/alerts?alert=${encodeURIComponent(alert.alert_id)}`;
}
