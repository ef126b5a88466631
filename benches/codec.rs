//! Codec throughput: decode and encode 200,000 MESSAGE frames with 5 headers and a 100-byte body,
//! fed to the decoder in 16 KB chunks (what a socket read hands over).
//!
//! `cargo bench --bench codec` prints criterion's figures (elements = frames, bytes = wire bytes)
//! and, first, one plain line per direction with frames/s and MB/s for the notes: by wall-clock
//! time, and (on Linux) by the CPU time the thread actually ran, which is the steadier figure on
//! a machine shared with other work.

use std::time::Instant;

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use stomp_wasm::{Command, Decoded, Decoder, Encoder, Frame, Limits};

const FRAMES: usize = 200_000;
const CHUNK: usize = 16 * 1024;

fn message(i: usize) -> Frame {
    Frame::new(Command::Message)
        .header("destination", "/topic/bench.prices")
        .header("message-id", format!("m-{i}"))
        .header("subscription", "sub-0")
        .header("content-type", "text/plain")
        .header("x-seq", format!("{i}"))
        .body(vec![b'x'; 100])
}

fn wire() -> (Vec<Frame>, Vec<u8>) {
    let frames: Vec<Frame> = (0..FRAMES).map(message).collect();
    let enc = Encoder::default();
    let mut out = BytesMut::new();
    for f in &frames {
        enc.encode(f, &mut out);
    }
    (frames, out.to_vec())
}

fn decode_all(wire: &[u8]) -> usize {
    let mut dec = Decoder::new(Limits::default());
    let mut n = 0;
    for chunk in wire.chunks(CHUNK) {
        dec.feed(chunk);
        while let Some(item) = dec.decode().expect("benchmark frames are valid") {
            if let Decoded::Frame(f) = item {
                n += f.body.len() / 100;
            }
        }
    }
    n
}

fn encode_all(frames: &[Frame], out: &mut BytesMut) -> usize {
    let enc = Encoder::default();
    out.clear();
    for f in frames {
        enc.encode(f, out);
    }
    out.len()
}

/// Nanoseconds this thread has run on a CPU (Linux), to tell the codec's speed from the time
/// spent waiting for a CPU on a busy machine.
fn thread_cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

/// Runs `f` `runs` times and prints its figures per run.
fn report(what: &str, wire_len: usize, runs: u32, mut f: impl FnMut()) {
    let cpu = thread_cpu_ns();
    let t = Instant::now();
    for _ in 0..runs {
        f();
    }
    let wall = t.elapsed().as_secs_f64() / f64::from(runs);
    let cpu = cpu
        .zip(thread_cpu_ns())
        .map(|(start, end)| (end - start) as f64 / 1e9 / f64::from(runs));
    let mb = wire_len as f64 / 1e6;
    let line = |s: f64| {
        format!(
            "{:.2} ms, {:.0} frames/s, {:.0} MB/s",
            s * 1e3,
            FRAMES as f64 / s,
            mb / s
        )
    };
    match cpu {
        Some(cpu) => println!("{what}: wall {}; cpu {}", line(wall), line(cpu)),
        None => println!("{what}: wall {}", line(wall)),
    }
}

/// One plain run of each direction, so the figures can be quoted without reading criterion.
fn summary(frames: &[Frame], wire: &[u8]) {
    println!(
        "{FRAMES} MESSAGE frames, {} bytes each on the wire, {CHUNK}-byte chunks",
        wire.len() / FRAMES
    );
    // For scale: the one copy the decoder cannot avoid (chunks into its buffer), alone.
    let mut copy = BytesMut::with_capacity(2 * CHUNK);
    report("(copy only, for scale)", wire.len(), 10, || {
        for chunk in wire.chunks(CHUNK) {
            copy.clear();
            copy.extend_from_slice(chunk);
            std::hint::black_box(&copy);
        }
    });
    let mut total = 0;
    report("decode", wire.len(), 10, || total += decode_all(wire));
    assert_eq!(total, FRAMES * 10);
    let mut out = BytesMut::with_capacity(wire.len());
    report("encode", wire.len(), 10, || {
        encode_all(frames, &mut out);
    });
}

fn bench(c: &mut Criterion) {
    let (frames, wire) = wire();
    summary(&frames, &wire);

    let mut group = c.benchmark_group("codec");
    group.sample_size(20);
    group.throughput(Throughput::Bytes(wire.len() as u64));
    group.bench_function("decode 200k MESSAGE, 16 KB chunks", |b| {
        b.iter(|| decode_all(&wire))
    });
    let mut out = BytesMut::with_capacity(wire.len());
    group.bench_function("encode 200k MESSAGE", |b| {
        b.iter(|| encode_all(&frames, &mut out))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
