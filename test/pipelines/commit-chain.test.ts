import { describe, expect, it } from 'vitest';
import { CommitChain } from '../../pipelines/commit-chain.js';
import { SerialQueue } from '../../sinks/serial-queue.js';

/** A promise with its resolve and reject, to decide by hand when a commit ends. */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (error: unknown) => void } {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('commit chain', () => {
  it('resolves at staging, starts the next checkpoint only after the previous commit', async () => {
    const chain = new CommitChain();
    const log: string[] = [];
    const commit1 = deferred();
    await chain.add(async (staged) => {
      log.push('stage 1');
      staged();
      await commit1.promise;
      log.push('commit 1');
    });
    const second = chain.add(async (staged) => {
      log.push('stage 2');
      staged();
    });
    // The first is staged and still committing: the second waits for it.
    expect(log).toEqual(['stage 1']);
    expect(chain.busy).toBe(true);
    commit1.resolve();
    await second;
    await chain.committed();
    expect(log).toEqual(['stage 1', 'commit 1', 'stage 2']);
    expect(chain.busy).toBe(false);
  });

  it('latches the first failure: later checkpoints and afterCommit work do not run', async () => {
    const chain = new CommitChain(new SerialQueue());
    const commit = deferred();
    await chain.add(async (staged) => {
      staged();
      await commit.promise;
    });
    commit.reject(new Error('disk full'));
    await expect(chain.committed()).rejects.toThrow('disk full');
    expect(chain.failed).toBe(true);
    let ran = false;
    await expect(
      chain.add(async () => {
        ran = true;
      }),
    ).rejects.toThrow('disk full');
    await chain.afterCommit(async () => {
      ran = true;
    });
    expect(ran).toBe(false);
    expect(() => chain.throwIfFailed()).toThrow('disk full');
  });

  it('rejects the staging promise of a checkpoint that fails before it is staged', async () => {
    const chain = new CommitChain();
    await expect(
      chain.add(async () => {
        throw new Error('no space for the state rows');
      }),
    ).rejects.toThrow('no space for the state rows');
    expect(chain.failed).toBe(true);
  });
});
