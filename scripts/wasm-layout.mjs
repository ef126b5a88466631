// Checks that the core and SockJS modules can share one memory (pkg-sockjs/build.rs): the
// SockJS module imports the core's memory and heap, so its static data and stack must lie in
// the gap between the core's data (its stack is below it) and the core's heap, which starts at
// the end of the core's initial memory; and nothing may lie in the first KB, which
// wasm-module.sh's --low-memory-unused lets wasm-opt assume.
//
//   node scripts/wasm-layout.mjs CORE.wasm SOCKJS.wasm   the linker's output (before wasm-opt,
//                                                        which strips __data_end and __heap_base)
//
// Prints the regions; exits with 1 and says what overlaps when they do.
import { readFileSync } from 'node:fs';
import binaryen from '../tools/node_modules/binaryen/index.js';

const PAGE = 65536;

/** Where the linker put a module's memory, data, stack and heap start. */
function layout(file) {
  const m = binaryen.readBinary(readFileSync(file));
  const globals = {};
  for (let i = 0; i < m.getNumExports(); i++) {
    const e = binaryen.getExportInfo(m.getExportByIndex(i));
    if (e.kind === binaryen.ExternalGlobal) globals[e.name] = binaryen.getExpressionInfo(binaryen.getGlobalInfo(m.getGlobal(e.value)).init).value;
  }
  const value = (name) => {
    if (globals[name] === undefined) throw new Error(`${file}: no ${name} export`);
    return globals[name];
  };
  let dataStart = Infinity;
  for (let i = 0; i < m.getNumDataSegments(); i++) {
    dataStart = Math.min(dataStart, m.getDataSegmentInfo(m.getDataSegmentByIndex(i)).offset);
  }
  // Global 0 is the stack pointer in Rust's wasm32 output: its start, the stack's top.
  const stackTop = binaryen.getExpressionInfo(binaryen.getGlobalInfo(m.getGlobalByIndex(0)).init).value;
  const memory = m.getMemoryInfo();
  m.dispose();
  return { dataStart, dataEnd: value('__data_end'), heapBase: value('__heap_base'), stackTop, memory };
}

const [coreFile, sockjsFile] = process.argv.slice(2);
const core = layout(coreFile);
const sockjs = layout(sockjsFile);
// The core's heap begins where its first memory.grow does (src/heap.rs): at its initial size.
const coreHeap = core.memory.initial * PAGE;
const hex = (n) => '0x' + n.toString(16);
console.log(
  `core: stack ..${hex(core.stackTop)}, data ${hex(core.dataStart)}..${hex(core.dataEnd)}, heap from ${hex(coreHeap)}; ` +
    `SockJS: data ${hex(sockjs.dataStart)}..${hex(sockjs.dataEnd)}, stack ..${hex(sockjs.stackTop)}`,
);
const errors = [];
if (sockjs.memory.module !== 'core' || sockjs.memory.base !== 'memory') errors.push('the SockJS module does not import the core\'s memory (core.memory)');
if (core.memory.module) errors.push('the core imports its memory');
if (core.stackTop > core.dataStart) errors.push('the core\'s stack is not below its data (--stack-first)');
if (Math.min(core.dataStart, sockjs.dataStart) < 1024) errors.push('data in the first KB, which --low-memory-unused says is unused');
if (sockjs.dataStart < core.heapBase) errors.push(`the SockJS data (from ${hex(sockjs.dataStart)}) overlaps the core's (to ${hex(core.heapBase)}): raise GLOBAL_BASE in pkg-sockjs/build.rs`);
if (sockjs.stackTop < sockjs.dataEnd) errors.push('the SockJS stack is not above its data (--no-stack-first)');
if (Math.max(sockjs.stackTop, sockjs.heapBase) > coreHeap || sockjs.memory.initial > core.memory.initial)
  errors.push(`the SockJS data and stack (to ${hex(Math.max(sockjs.stackTop, sockjs.heapBase))}) reach the core's heap (from ${hex(coreHeap)}): lower STACK or GLOBAL_BASE in pkg-sockjs/build.rs`);
for (const e of errors) console.error(`wasm-layout: ${e}`);
process.exit(errors.length ? 1 : 0);
