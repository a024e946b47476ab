import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerfileParser } from 'dockerfile-ast';
import { describe, expect, it } from 'vitest';
import { DEPLOY, ROOT } from './promql-sources.js';

/**
 * No Docker engine here: the Dockerfile is parsed (dockerfile-ast) and checked for the structure
 * the brief asks for; the image itself is not built by these tests.
 */
const text = readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8');
const dockerfile = DockerfileParser.parse(text);
const stages = dockerfile.getFROMs().map((from) => ({ image: from.getImageName(), tag: from.getImageTag(), name: from.getBuildStage() }));
const instructions = dockerfile.getInstructions().map((i) => ({ keyword: i.getKeyword(), args: i.getArgumentsContent() ?? '', line: i.getRange().start.line }));

/** Instructions of the stage that starts at the n-th FROM. */
function stage(n: number) {
  const froms = instructions.filter((i) => i.keyword === 'FROM').map((i) => i.line);
  return instructions.filter((i) => i.line > froms[n]! && (froms[n + 1] === undefined || i.line < froms[n + 1]!));
}

describe('deploy/Dockerfile', () => {
  it('parses without syntax problems', () => {
    const known = new Set(['ARG', 'FROM', 'RUN', 'WORKDIR', 'ENV', 'COPY', 'VOLUME', 'USER', 'EXPOSE', 'HEALTHCHECK', 'ENTRYPOINT', 'CMD']);
    for (const i of instructions) expect(known, `line ${i.line + 1}: ${i.keyword}`).toContain(i.keyword);
  });

  it('is multi-stage: a build stage on node 20 bookworm, a runtime on node:20-bookworm-slim', () => {
    expect(stages).toHaveLength(2);
    expect(stages[0]).toMatchObject({ image: 'node', name: 'build' });
    expect(text).toContain('ARG NODE_VERSION=20');
    expect(stages[0]!.tag).toBe('${NODE_VERSION}-bookworm');
    expect(stages[1]).toMatchObject({ image: 'node', tag: '${NODE_VERSION}-bookworm-slim', name: 'runtime' });
  });

  it('the build stage installs the librdkafka dev packages and builds with dynamic linking, then prunes dev deps', () => {
    const build = stage(0);
    const runs = build
      .filter((i) => i.keyword === 'RUN')
      .map((i) => i.args)
      .join('\n');
    for (const pkg of ['zlib1g-dev', 'libssl-dev', 'libzstd-dev', 'liblz4-dev', 'libsasl2-dev', 'libcurl4-openssl-dev', 'pkg-config']) {
      expect(runs).toContain(pkg);
    }
    expect(build.find((i) => i.keyword === 'ENV')?.args).toMatch(/CKJS_LINKING=dynamic/);
    expect(runs).toMatch(/npm ci/);
    const order = ['npm ci', 'npm run build', 'npm prune --omit=dev'].map((s) => runs.indexOf(s));
    expect(order.every((p) => p >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('the build stage copies every folder tsconfig.json compiles', () => {
    const tsconfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')) as { include: string[] };
    const copied = stage(0)
      .filter((i) => i.keyword === 'COPY')
      .map((i) => i.args.split(/\s+/)[0]);
    for (const pattern of tsconfig.include) expect(copied, pattern).toContain(pattern.split('/')[0]);
  });

  it('the runtime stage has the runtime libraries, a non-root user, the entrypoint and a health check', () => {
    const runtime = stage(1);
    const runs = runtime
      .filter((i) => i.keyword === 'RUN')
      .map((i) => i.args)
      .join('\n');
    for (const pkg of ['zlib1g', 'libssl3', 'libzstd1', 'liblz4-1', 'libsasl2-2', 'libcurl4']) expect(runs).toMatch(new RegExp(`\\b${pkg}\\b`));
    expect(runs).not.toMatch(/-dev\b/);
    const user = runtime.filter((i) => i.keyword === 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(runtime.find((i) => i.keyword === 'ENTRYPOINT')?.args).toBe('["node","dist/pipelines/cli.js"]');
    const health = runtime.find((i) => i.keyword === 'HEALTHCHECK')?.args ?? '';
    expect(health).toContain('/healthz');
    expect(runtime.find((i) => i.keyword === 'EXPOSE')?.args).toBe('9464');
    // Everything the runtime copies from the build stage is produced there.
    const lines = text.split('\n');
    for (const copy of runtime.filter((i) => i.keyword === 'COPY')) expect(lines[copy.line]).toMatch(/^COPY --from=build /);
  });

  it('the default job the image runs exists and its metrics port matches EXPOSE', () => {
    const cmd = JSON.parse(instructions.find((i) => i.keyword === 'CMD')!.args) as string[];
    const config = cmd[cmd.indexOf('--config') + 1]!;
    expect(existsSync(join(ROOT, config))).toBe(true);
    expect(text).toMatch(/PULSE_METRICS_PORT=9464/);
    expect(readFileSync(join(ROOT, config), 'utf8')).toContain('${PULSE_METRICS_PORT');
  });

  it('Dockerfile.dockerignore keeps the build inputs and drops local data', () => {
    const ignore = readFileSync(join(DEPLOY, 'Dockerfile.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim());
    expect(ignore[ignore.findIndex((l) => l && !l.startsWith('#'))]).toBe('**');
    const copied = stage(0)
      .filter((i) => i.keyword === 'COPY')
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    for (const source of copied)
      expect(
        ignore.some((l) => l === `!${source}` || l === `!${source}/**`),
        source,
      ).toBe(true);
    expect(ignore).toContain('**/*.duckdb');
    expect(ignore).toContain('**/node_modules');
  });
});
