/** A cookie jar over fetch, for the console in tests without a browser: name=value of every Set-Cookie seen. */
export class Browserless {
  private readonly cookies = new Map<string, string>();
  constructor(private readonly base: string) {}
  async request(path: string, form?: Record<string, string>): Promise<Response> {
    const response = await fetch(`${this.base}${path}`, {
      method: form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: {
        cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(form ? { body: new URLSearchParams(form).toString() } : {}),
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const eq = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
    return response;
  }
  /** The CSRF token of the page's first form. */
  static token(html: string): string {
    return /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
  }
}
