// Shared by the Node scenario scripts: the hold handshake with the driver
// (capture_requests.py). With --hold a scenario prints HOLD once its work is
// done and keeps its client alive until the driver writes a line or closes
// stdin (it does as soon as the requests it waits for were captured), or
// limitMs passes. No scenario sleeps for a fixed time.

export function hold (limitMs = 20000) {
  console.log('HOLD')
  return new Promise(resolve => {
    const timer = setTimeout(() => finish(false), limitMs)
    function finish (released) {
      clearTimeout(timer)
      process.stdin.removeAllListeners('data')
      process.stdin.removeAllListeners('end')
      process.stdin.pause()
      resolve(released)
    }
    process.stdin.on('data', () => finish(true))
    process.stdin.on('end', () => finish(true))
    process.stdin.resume()
  })
}

export function withDeadline (promise, ms, what) {
  let timer
  const deadline = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result after ${ms} ms`)), ms)
  })
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer))
}

export async function run (scenarios) {
  const [bootstrap, scenario] = process.argv.slice(2)
  const doHold = process.argv.includes('--hold')
  const fn = scenarios[scenario]
  if (!fn) {
    console.error(`FAIL: unknown scenario ${scenario}`)
    process.exit(1)
  }
  try {
    await withDeadline(fn(bootstrap, doHold), 30000, scenario)
    console.log(`OK ${scenario}`)
    process.exit(0)
  } catch (e) {
    console.error(`FAIL: ${scenario}: ${e && e.stack ? e.stack : e}`)
    process.exit(1)
  }
}
