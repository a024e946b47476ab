import { describe, expect, it } from 'vitest';
import { credentialInUrl, redactCredentials, urlOrigin } from '../../../sinks/alerts/redact.js';

describe('redactCredentials', () => {
  it.each([
    ['URL user info', 'POST failed for https://ops:hunter22@hooks.example.com/pulse', 'POST failed for https://[redacted]@hooks.example.com/pulse'],
    ['query token', 'see https://hooks.example.com/pulse?token=abc123&format=json', 'see https://hooks.example.com/pulse?token=[redacted]&format=json'],
    ['query key and sig', 'GET /x?key=AIzaSyD-123&sig=zz99 HTTP/1.1', 'GET /x?key=[redacted]&sig=[redacted] HTTP/1.1'],
    ['echoed header', 'bad request; you sent Authorization: Bearer eyJhbGciOi.abc.def', 'bad request; you sent Authorization: [redacted]'],
    [
      'echoed JSON headers',
      '{"headers":{"authorization":"Bearer tok_123456","x-api-key":"k-999999"}}',
      '{"headers":{"authorization":"[redacted]","x-api-key":"[redacted]"}}',
    ],
    ['bare bearer token', 'token rejected: Bearer abcdef123456', 'token rejected: Bearer [redacted]'],
    ['basic credentials', 'got Basic dXNlcjpwYXNzd29yZA==', 'got Basic [redacted]'],
    ['form password', 'user=ana&password=hunter22', 'user=ana&password=[redacted]'],
    ['Slack token', 'invalid_auth for xoxb-1234-5678-abcdefghij', 'invalid_auth for [redacted]'],
    [
      'Slack webhook path',
      'no_service: https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX',
      'no_service: https://hooks.slack.com/services/[redacted]',
    ],
    ['Stripe-style key', 'key sk_live_51HqLyjWDarjtT1zdp7dc rejected', 'key [redacted] rejected'],
  ])('%s', (_name, text, expected) => {
    expect(redactCredentials(text)).toBe(expected);
  });

  it('replaces known secrets wherever they occur, the longest first', () => {
    const url = 'https://hooks.example.com/T0/B0/s3cr3t-path';
    expect(redactCredentials(`POST to ${url} failed; path /T0/B0/s3cr3t-path; token s3cr3t-tok`, [url, '/T0/B0/s3cr3t-path', 's3cr3t-tok'])).toBe(
      'POST to [redacted] failed; path [redacted]; token [redacted]',
    );
  });

  it('leaves ordinary delivery errors alone', () => {
    for (const text of [
      'POST http://127.0.0.1:9093 answered HTTP 503: service unavailable (status_code: 503, retry_after: 30)',
      'SMTP delivery failed: 550 5.1.1 mailbox unavailable',
      'POST https://hooks.example.com failed: ECONNREFUSED',
      "Kafka receiver 'alerts': Broker: Unknown topic or partition",
      'description: queue design review; author: ana; code 42',
      'https://hooks.example.com/pulse?format=json&team=ops',
    ]) {
      expect(redactCredentials(text)).toBe(text);
    }
  });
});

describe('receiver URLs', () => {
  it('shows a URL by its origin only', () => {
    expect(urlOrigin('https://u:p@hooks.example.com:8443/services/T0/B0/X?token=1')).toBe('https://hooks.example.com:8443');
    expect(urlOrigin('not a url')).toBe('(invalid url)');
  });

  it('names the credential a URL carries', () => {
    expect(credentialInUrl('https://ops:pw@hooks.example.com/x')).toMatch(/user name and password/);
    expect(credentialInUrl('https://hooks.example.com/x?api_key=1&format=json')).toMatch(/query carries a credential \(api_key=\)/);
    expect(credentialInUrl('https://hooks.example.com/x?code=1')).toMatch(/code=/);
    expect(credentialInUrl('https://hooks.example.com/x?format=json')).toBeUndefined();
    expect(credentialInUrl('http://alertmanager:9093')).toBeUndefined();
  });
});
