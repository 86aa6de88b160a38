import * as ds from '../../src';
import { mnistSubset, shortRun, mean } from './train-util';

const { models } = ds;

// Kahn's algorithm: true when the directed edges admit a topological order.
function acyclic(n: number, edges: [number, number][]): boolean {
  const indeg = new Array<number>(n).fill(0);
  const succ = Array.from({ length: n }, () => [] as number[]);
  for (const [a, b] of edges) {
    succ[a].push(b);
    indeg[b]++;
  }
  const queue = indeg.flatMap((d, i) => (d === 0 ? [i] : []));
  let seen = 0;
  while (queue.length) {
    const u = queue.pop()!;
    seen++;
    for (const v of succ[u]) if (--indeg[v] === 0) queue.push(v);
  }
  return seen === n;
}

function simple(g: ds.models.Graph): boolean {
  const keys = g.edges.map(([a, b]) => `${a},${b}`);
  return new Set(keys).size === keys.length && g.edges.every(([a, b]) => a < b && a >= 0 && b < g.nodes);
}

describe('RandWire graph generators', () => {
  const gens: [string, (seed: number) => ds.models.Graph][] = [
    ['ER(0.2)', (s) => models.erdosRenyi(32, 0.2, s)],
    ['BA(5)', (s) => models.barabasiAlbert(32, 5, s)],
    ['WS(4, 0.75)', (s) => models.wattsStrogatz(32, 4, 0.75, s)],
  ];

  test.each(gens)('%s: same seed same graph, other seeds other graphs, simple and acyclic once directed', (_name, gen) => {
    expect(gen(7)).toEqual(gen(7));
    const distinct = new Set([0, 1, 2, 3, 4].map((s) => JSON.stringify(gen(s).edges)));
    expect(distinct.size).toBeGreaterThanOrEqual(4);
    for (let s = 0; s < 20; s++) {
      const g = gen(s);
      expect(g.nodes).toBe(32);
      expect(simple(g)).toBe(true);
      const dag = models.toDAG(g);
      expect(acyclic(32, dag.edges)).toBe(true);
      expect(dag.edges.every(([a, b]) => a < b)).toBe(true);
      expect(dag.inputNodes.length).toBeGreaterThan(0);
      expect(dag.outputNodes.length).toBeGreaterThan(0);
      expect(dag.inputNodes).toContain(0);
      expect(dag.outputNodes).toContain(31);
    }
  });

  test('edge counts: WS n·K/2 and BA M·(n−M) exactly; ER within 4σ of n(n−1)/2·P', () => {
    for (let s = 0; s < 20; s++) {
      expect(models.wattsStrogatz(32, 4, 0.75, s).edges).toHaveLength(64);
      expect(models.wattsStrogatz(32, 6, 0.3, s).edges).toHaveLength(96);
      expect(models.barabasiAlbert(32, 5, s).edges).toHaveLength(5 * 27);
      expect(models.barabasiAlbert(16, 1, s).edges).toHaveLength(15);
      const er = models.erdosRenyi(32, 0.2, s).edges.length;
      const mu = 496 * 0.2;
      const sd = Math.sqrt(496 * 0.2 * 0.8);
      expect(Math.abs(er - mu)).toBeLessThan(4 * sd);
    }
    // P = 0: WS is the ring lattice, ER is empty, P = 1: ER is complete.
    const ring = models.wattsStrogatz(8, 2, 0, 1);
    expect(ring.edges).toEqual([[0, 1], [0, 7], [1, 2], [2, 3], [3, 4], [4, 5], [5, 6], [6, 7]]);
    expect(models.erdosRenyi(10, 0, 3).edges).toHaveLength(0);
    expect(models.erdosRenyi(10, 1, 3).edges).toHaveLength(45);
    // BA: every node after the first M has degree ≥ M; the degrees are heavy-tailed (some hub).
    const ba = models.barabasiAlbert(32, 2, 4);
    const deg = new Array<number>(32).fill(0);
    for (const [a, b] of ba.edges) (deg[a]++, deg[b]++);
    expect(deg.slice(2).every((d) => d >= 2)).toBe(true);
    expect(Math.max(...deg)).toBeGreaterThan(6);
  });

  test('rejects invalid parameters', () => {
    expect(() => models.wattsStrogatz(32, 3, 0.5)).toThrow(RangeError);
    expect(() => models.barabasiAlbert(5, 5)).toThrow(RangeError);
    expect(() => models.erdosRenyi(5, 1.5)).toThrow(RangeError);
  });
});

// Parameters of one stage, from its DAG: each node is a depthwise 3×3 (9·cin), a pointwise 1×1 (cin·cout),
// a BN (2·cout) and, with k > 1 inputs, k aggregation weights.
function stageCount(dag: ds.models.DAG, cin: number, cout: number): number {
  return dag.predecessors.reduce((s, p) => {
    const c = p.length === 0 ? cin : cout;
    return s + 9 * c + c * cout + 2 * cout + (p.length > 1 ? p.length : 0);
  }, 0);
}

describe('RandWire networks', () => {
  test('small regime, WS(4, 0.75), C = 78: parameters and multiply-adds at 224×224 against the paper (5.6 M, 583 M)', () => {
    const net = models.randwire({ regime: 'small', channels: 78, graph: { type: 'ws', k: 4, p: 0.75 }, seed: 0 });
    const c = 78;
    const dags = [net.conv3, net.conv4, net.conv5].map((s) => s.dag);
    const expected =
      3 * 9 * 39 + 2 * 39 + // conv1: conv 3→39 without bias, BN
      39 * 9 * c + 2 * c + // conv2
      stageCount(dags[0], c, c) + stageCount(dags[1], c, 2 * c) + stageCount(dags[2], 2 * c, 4 * c) +
      4 * c * 1280 + 2 * 1280 + // 1×1 conv head and its BN
      1280 * 1000 + 1000; // fc
    expect(net.numParameters()).toBe(expected);
    expect(net.numParameters()).toBe(5803552);
    // The graph instance moves the counts by a few per cent (seeds 0-4: 5.48-5.80 M, 574-594 M).
    expect(Math.abs(net.numParameters() / 5.6e6 - 1)).toBeLessThan(0.04);
    expect(dags.map((d) => d.nodes)).toEqual([32, 32, 32]);
    // The forward at the paper's 224×224 gives [1, 1000]; multiply-adds counted per conv/linear layer.
    const macs = models.countMultiplyAdds(net, [1, 3, 224, 224]);
    expect(macs).toBe(593712932);
    expect(Math.abs(macs / 583e6 - 1)).toBeLessThan(0.02);
    net.eval();
    const out = ds.noGrad(() => net.call(ds.randn([1, 3, 64, 64])));
    expect(out.shape).toEqual([1, 1000]);
    out.dispose();
    net.dispose();
  });

  test("regular regime, WS(4, 0.75), C = 109 and 154, against the paper's 31.9 M / 4.0 G and 61.5 M / 7.9 G", () => {
    for (const [c, params, flops] of [[109, 31.9e6, 4.0e9], [154, 61.5e6, 7.9e9]]) {
      const net = models.randwire({ regime: 'regular', channels: c });
      expect([net.conv2 as ds.models.RandWireStage, net.conv3, net.conv4, net.conv5].map((s) => s.dag.nodes)).toEqual([16, 32, 32, 32]);
      expect(Math.abs(net.numParameters() / params - 1)).toBeLessThan(0.01);
      expect(Math.abs(models.countMultiplyAdds(net, [1, 3, 224, 224]) / flops - 1)).toBeLessThan(0.02);
      net.dispose();
    }
  });

  test('countMultiplyAdds counts conv and linear layers exactly', () => {
    const m = new ds.nn.Sequential(new ds.nn.Conv2d(3, 4, 3, { padding: 1, groups: 1 }), new ds.nn.Flatten(), new ds.nn.Linear(4 * 5 * 5, 7));
    expect(models.countMultiplyAdds(m, [2, 3, 5, 5])).toBe(2 * (4 * 25 * 3 * 9) + 2 * 100 * 7);
  });

  test('a node is σ-weighted sum → ReLU → separable conv → BN', () => {
    const node = new models.RandWireNode(2, 3, 4);
    expect(node.weight!.shape).toEqual([2]);
    node.eval();
    ds.noGrad(() => node.weight!.copyFromArray(new Float32Array([0, Math.log(3)]))); // σ = 0.5, 0.75
    const a = ds.randn([1, 3, 5, 5]);
    const b = ds.randn([1, 3, 5, 5]);
    const got = ds.noGrad(() => node.call([a, b]));
    const want = ds.noGrad(() => node.bn.call(node.conv.call(ds.relu(ds.add(ds.mul(a, 0.5), ds.mul(b, 0.75))))));
    const [g, w] = [got.dataSync(), want.dataSync()];
    for (let i = 0; i < g.length; i++) expect(Math.abs(g[i] - w[i])).toBeLessThan(1e-5);
    expect(node.conv.depthwise.weight.shape).toEqual([3, 1, 3, 3]);
    expect(node.conv.pointwise.weight.shape).toEqual([4, 3, 1, 1]);
    node.dispose();
  });

  test('a stage: input nodes stride 2 on the stage input, output the mean of the sink nodes', () => {
    const g: ds.models.Graph = { nodes: 4, edges: [[0, 2], [1, 2], [1, 3]] };
    const st = new models.RandWireStage(g, 2, 3);
    expect(st.dag.inputNodes).toEqual([0, 1]);
    expect(st.dag.outputNodes).toEqual([2, 3]);
    st.eval();
    const x = ds.randn([1, 2, 8, 8]);
    const nodes = st.nodes.children() as ds.models.RandWireNode[];
    const y = ds.noGrad(() => st.call(x));
    expect(y.shape).toEqual([1, 3, 4, 4]);
    const ref = ds.noGrad(() => {
      const o0 = nodes[0].call([x]);
      const o1 = nodes[1].call([x]);
      return ds.mul(ds.add(nodes[2].call([o0, o1]), nodes[3].call([o1])), 0.5);
    });
    const [a, b] = [y.dataSync(), ref.dataSync()];
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-5);
    st.dispose();
  });

  test.each([
    ['small, WS', { regime: 'small', graph: { type: 'ws', k: 4, p: 0.75 } }],
    ['small, ER', { regime: 'small', graph: { type: 'er', p: 0.2 } }],
    ['regular, BA', { regime: 'regular', graph: { type: 'ba', m: 2 } }],
  ] as [string, ds.models.RandWireOptions][])('forward and backward of a reduced %s network', (_n, opts) => {
    const net = models.randwire({ ...opts, channels: 8, nodes: 12, numClasses: 10, headChannels: 16 });
    const x = ds.randn([2, 3, 32, 32], { requiresGrad: true });
    const out = net.call(x);
    expect(out.shape).toEqual([2, 10]);
    ds.tidy(() => net.loss(out, ds.tensor([3, 7], undefined, { dtype: 'int32' })).backward());
    const missing = net.namedParameters().filter(([, p]) => p.grad === null).map(([n]) => n);
    expect(missing).toEqual([]);
    expect(x.grad!.shape).toEqual([2, 3, 32, 32]);
    net.dispose();
  });

  test('state dict names follow the stages and nodes', () => {
    const net = models.randwire({ channels: 8, nodes: 12, numClasses: 10, headChannels: 16 });
    const names = [...net.stateDict().keys()];
    expect(names).toContain('conv1.0.weight');
    expect(names).toContain('conv3.nodes.0.conv.depthwise.weight');
    expect(names).toContain('conv5.nodes.11.bn.running_var');
    expect(names).toContain('classifier.1.weight');
    expect(names.slice(-2)).toEqual(['fc.weight', 'fc.bias']);
    net.dispose();
  });

  test('a reduced small-regime network trains on MNIST: the loss falls', async () => {
    ds.manualSeed(0);
    const data = mnistSubset(256);
    const net = models.randwire({ channels: 8, nodes: 12, inChannels: 1, numClasses: 10, headChannels: 32 });
    const losses = await shortRun(net, data, { epochs: 6, batch: 32, lr: 1e-2 });
    expect(mean(losses.slice(-6))).toBeLessThan(0.7 * mean(losses.slice(0, 6)));
    net.dispose();
    ds.dispose([data.x, data.y]);
  });
});
