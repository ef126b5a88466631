// Empties, in a size-first module as cargo built it, the functions that only ever panic.
//
//     node scripts/wasm-stub-panics.mjs BUILT.wasm OUT.wasm
//
// The size-first modules are #![no_std] with a #[panic_handler] that traps without looking at
// its PanicInfo (src/lib.rs). The functions below never return (they are `-> !`) and end in that
// trap, yet each first writes a panic's message and location on the stack for the handler,
// which never reads them: alloc's growth failure (`raw_vec::handle_error`, 163 B in each module
// after wasm-opt), the allocation-error handlers and core's `panicking` entry points. wasm-opt
// must keep those stores (memory is still there to read after a trap), so their bodies become a
// bare `unreachable` here, before it runs: they trap as they did, at once (−108 B gzip on the
// core module, −89 B on the SockJS module). Stable Rust cannot leave them out
// (`panic_immediate_abort` is nightly only).
//
// Only these names are stubbed, each a diverging function of core or alloc; the names section
// is kept for scripts/wasm-sizes.py. Uses npm binaryen's JS API (`cd tools && npm install`).
import binaryen from '../tools/node_modules/binaryen/index.js';
import { readFileSync, writeFileSync } from 'node:fs';

// Anchored on the function's own path (v0 mangling, as the standard library is built), so a
// function merely generic over one of core::panicking's types is never one of them.
const CRATE = 'Cs[0-9A-Za-z]+_';
const DIVERGING = [
  // panic_fmt, panic_nounwind_fmt, panic_bounds_check, panic_const::…: every one is `-> !`.
  new RegExp(`^_RNv(?:Nt)+${CRATE}4core9panicking`),
  new RegExp(`^_RNvNt${CRATE}5alloc7raw_vec(?:12handle_error|17capacity_overflow)$`),
  new RegExp(`^_RNvNt${CRATE}5alloc5alloc18handle_alloc_error$`),
  new RegExp(`^_RNv${CRATE}7___rustc(?:26___rust|25___rdl)_alloc_error_handler$`),
];

const [built, out] = process.argv.slice(2);
const module = binaryen.readBinary(readFileSync(built));
// Keep the names section (the build's names check reads it).
binaryen.setDebugInfo(true);
const stubbed = [];
for (let i = 0; i < module.getNumFunctions(); i++) {
  const f = module.getFunctionByIndex(i);
  const { name, base } = binaryen.getFunctionInfo(f);
  // An import has no body to replace.
  if (!base && DIVERGING.some((re) => re.test(name))) {
    binaryen.Function.setBody(f, module.unreachable());
    stubbed.push(name);
  }
}
writeFileSync(out, module.emitBinary());
module.dispose();
console.log(`stubbed ${stubbed.length} panicking functions: ${stubbed.join(' ')}`);
