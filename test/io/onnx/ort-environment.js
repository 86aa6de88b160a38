// Jest's node environment gives each test file its own realm, but onnxruntime-node builds its output
// tensors from typed arrays of the main realm and checks them with `instanceof` against the test realm's
// constructors. Sharing the main realm's typed-array constructors makes both sides agree.
const NodeEnvironment = require('jest-environment-node').TestEnvironment;

const TYPED = [
  'Float32Array', 'Float64Array', 'Int8Array', 'Int16Array', 'Int32Array', 'Uint8Array', 'Uint16Array',
  'Uint32Array', 'BigInt64Array', 'BigUint64Array', 'ArrayBuffer',
];

class OrtEnvironment extends NodeEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of TYPED) this.global[name] = globalThis[name];
  }
}

module.exports = OrtEnvironment;
