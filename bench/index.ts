// `pnpm bench`: the benchmark suite lands with the benchmark issue.
console.log('no benchmarks yet');
