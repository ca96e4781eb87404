// Reads vitest JSON reports and prints the plain closing line CI reads: `N passed, N failed`.
// Exits non-zero when a report is missing, a test failed, a suite failed to load, or no test ran.
import { readFileSync } from 'node:fs';

const totals = { passed: 0, failed: 0, skipped: 0, failedSuites: 0 };
// Reports in which no test passed or failed: the run stopped before its tests (CI33: the oldest
// peers' global setup failed, vitest wrote a report with no test, and the line read "0 failed").
let emptyRuns = 0;
let problem = '';
// Failed tests are named here because CI shows only the tail of the log.
const failures = [];
// `--vault=NAME` names the Vault the run trusted on the closing line (`openbao: N passed, …`).
const vaultArg = process.argv.find((arg) => arg.startsWith('--vault='));
const closingLabel = vaultArg === undefined ? '' : `${vaultArg.slice('--vault='.length)}: `;
for (const arg of process.argv.slice(2).filter((arg) => !arg.startsWith('--'))) {
  const [label, file] = arg.includes('=') ? arg.split('=', 2) : ['', arg];
  let report;
  try {
    report = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    problem ||= `no readable vitest report at ${file} (${error.message})`;
    continue;
  }
  // A file that failed with no failed test: it did not load, or a hook (beforeAll) threw and every
  // test in it was skipped (CI27: the consumer test's packing failed, its 27 tests counted as skipped).
  const failedToRun = (suite) =>
    suite.status === 'failed' && !suite.assertionResults.some((result) => result.status === 'failed');
  const failedSuites = report.testResults.filter(failedToRun).length;
  const run = {
    passed: report.numPassedTests,
    failed: report.numFailedTests,
    skipped: report.numPendingTests + report.numTodoTests,
    failedSuites,
  };
  for (const key of Object.keys(totals)) totals[key] += run[key];
  if (run.passed + run.failed === 0) {
    emptyRuns += 1;
    failures.push(`${label || file}: no test ran (${firstLine(report.testResults[0]?.message ?? 'no test file')})`);
  }
  for (const suite of report.testResults) {
    const where = `${label || 'run'} ${suite.name.replace(`${process.cwd()}/`, '')}`;
    if (failedToRun(suite)) failures.push(`${where}: ${firstLine(suite.message)}`);
    for (const test of suite.assertionResults.filter((result) => result.status === 'failed'))
      failures.push(`${where} > ${test.fullName}: ${firstLine(test.failureMessages?.[0])}`);
  }
  if (label)
    console.log(
      `${label}: ${run.passed} passed, ${run.failed} failed, ${run.skipped} skipped, ${failedSuites} files failed to run`,
    );
}
// `--sim=LOG`: the simulator's batch counts as one check: passed when its `sim:` line reports 0
// invariant violations, failed when it reports some or has no such line (it crashed or timed out).
const simArg = process.argv.find((arg) => arg.startsWith('--sim='));
if (simArg !== undefined) {
  let log = '';
  try {
    log = readFileSync(simArg.slice('--sim='.length), 'utf8');
  } catch {}
  const line = log.split('\n').find((text) => text.startsWith('sim: '));
  const violations = Number(/(\d+) invariant violations/.exec(line ?? '')?.[1] ?? Number.NaN);
  console.log(`simulator: ${line ?? 'no sim: line (crashed or timed out)'}`);
  if (violations === 0) totals.passed += 1;
  else {
    totals.failed += 1;
    failures.push(`simulator: ${line ?? 'no result'}`);
  }
}
for (const failure of failures) console.log(`FAILED ${failure}`);
if (totals.passed + totals.failed === 0) problem ||= 'no test ran';
if (totals.failedSuites > 0) problem ||= `${totals.failedSuites} test files failed to run`;
if (emptyRuns > 0) problem ||= `${emptyRuns} runs ran no test`;
if (problem) console.log(`CI problem: ${problem}`);
// A file that failed to run, and a run that ran no test, count as one failure each on the closing
// line: their tests never ran.
console.log(
  `${closingLabel}${totals.passed} passed, ${totals.failed + totals.failedSuites + emptyRuns} failed, ${totals.skipped} skipped`,
);
process.exit(problem || totals.failed > 0 ? 1 : 0);

function firstLine(message) {
  const line =
    String(message ?? '')
      .split('\n')
      .find((text) => text.trim() !== '') ?? '(no message)';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
