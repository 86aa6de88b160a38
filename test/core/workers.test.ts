/**
 * The addon in worker threads: each thread gets its own handle class and read channel; threads can come
 * and go while others keep computing.
 */
import * as path from 'path';
import { Worker } from 'worker_threads';
import * as ds from '../../src';

const lib = JSON.stringify(path.resolve(__dirname, '..', '..', 'lib'));

function runWorker(seed: number): Promise<number> {
  const code = `
    const { parentPort, workerData } = require('worker_threads');
    const ds = require(${lib});
    (async () => {
      let t = ds.full([1000], workerData);
      for (let i = 0; i < 50; i++) t = t.add(1);
      const v = await t.data();
      parentPort.postMessage(v[999] + ds.tensor([[1, 2], [3, 4]]).matmul(ds.eye(2)).sum().itemSync());
    })();`;
  return new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: seed });
    w.once('message', resolve);
    w.once('error', reject);
  });
}

test('several worker threads compute and exit while the main thread keeps working', async () => {
  const results = await Promise.all([runWorker(1), runWorker(2), runWorker(3)]);
  expect(results).toEqual([61, 62, 63]);
  // The main thread is unaffected by the workers' teardown.
  expect(await ds.ones([3]).add(1).sum().item()).toBe(6);
  expect(await runWorker(10)).toBe(70);
});
