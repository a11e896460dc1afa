// Root-level hook (outside any describe), so it applies to every test of the run:
// `ajs module test` (core 0.3.2) ignores mocha's failures and exits 0; this makes them fail the exit code.
afterEach(function () {
  if (this.currentTest?.state === 'failed') process.exitCode = 1;
});
