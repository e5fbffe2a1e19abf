// What the node test suites (t/e2e, t/browser, t/demo) share.

// The value of an environment variable the suite's run script sets, or a
// clear error that says which script to run.
export function need(name, script) {
    const v = process.env[name];
    if (!v)
        throw new Error(`${name} is not set: run these tests through ${script}`);
    return v;
}

// The promise's result, or an error naming what did not answer in time.
export function withTimeout(promise, ms, what) {
    let timer;
    return Promise.race([
        promise,
        new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
        }),
    ]).finally(() => clearTimeout(timer));
}
