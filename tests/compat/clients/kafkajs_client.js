#!/usr/bin/env node
// kafkajs 2.2.4 against a Karst cluster. Its admin client creates TOPIC (PARTITIONS partitions,
// replication factor REPLICAS; CreateTopics, waiting for leaders), then its producer sends COUNT
// keyed records with acks=all and CODEC ("none" or "gzip": kafkajs ships no other codec), each
// with headers and the timestamp BASE_TS + i; the records are those of records.py. Finally the
// admin client creates and deletes a scratch topic TOPIC-scratch and waits until listTopics
// stops naming it. kafkajs cannot consume without a consumer group (Karst has none yet), so the
// caller reads TOPIC back with `confluent_kafka_client.py --verify-only`.
//
// Usage: node kafkajs_client.js BOOTSTRAP TOPIC COUNT CODEC BASE_TS [PARTITIONS REPLICAS]
// Needs tests/compat/js/node_modules (tools/setup.sh runs npm ci there); NODE_PATH may name
// another node_modules. Exits 0 on success, 1 with a message on any failure.
'use strict'

const path = require('path')

function loadKafkajs() {
  try {
    return require('kafkajs')
  } catch (e) {
    return require(path.join(__dirname, '..', 'js', 'node_modules', 'kafkajs'))
  }
}
const { Kafka, CompressionTypes, Partitioners, logLevel } = loadKafkajs()

const NKEYS = 1000
const FILLER = 'karst-compat-'.repeat(4)
const SEND_CHUNK = 5000
const DEADLINE_MS = 1000 * Number(process.env.KARST_CLIENT_DEADLINE_S || '120')

const keyOf = i => 'k' + String(i % NKEYS).padStart(4, '0')
const valueOf = (tag, i) => `${tag}|i=${i}|k=${i % NKEYS}|seq=${Math.floor(i / NKEYS)}|${FILLER}`

function fail(msg) {
  console.log(`kafkajs: FAILED: ${msg}`)
  process.exit(1)
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

async function main() {
  const args = process.argv.slice(2)
  if (args.length !== 5 && args.length !== 7) {
    console.error('usage: kafkajs_client.js BOOTSTRAP TOPIC COUNT CODEC BASE_TS [PARTITIONS REPLICAS]')
    process.exit(2)
  }
  const [bootstrap, topic] = args
  const count = Number(args[2])
  const codec = args[3]
  const baseTs = Number(args[4])
  const partitions = args.length === 7 ? Number(args[5]) : 3
  const replicas = args.length === 7 ? Number(args[6]) : 3
  const compression = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP }[codec]
  if (compression === undefined) fail(`codec ${codec}: kafkajs ships only none and gzip`)
  const tag = `kafkajs-${codec}`
  const start = Date.now()
  const deadline = start + DEADLINE_MS
  setTimeout(() => fail(`not done within ${DEADLINE_MS} ms`), DEADLINE_MS).unref()

  const kafka = new Kafka({
    clientId: 'karst-compat-kafkajs',
    brokers: bootstrap.split(','),
    logLevel: process.env.KARST_KAFKAJS_DEBUG ? logLevel.DEBUG : logLevel.WARN,
    retry: { retries: 8 },
  })
  const admin = kafka.admin()
  await admin.connect()
  const created = await admin.createTopics({
    topics: [{ topic, numPartitions: partitions, replicationFactor: replicas }],
    waitForLeaders: true,
    timeout: 30000,
  })
  if (!created) fail(`createTopics ${topic}: topic already existed`)
  const meta = await admin.fetchTopicMetadata({ topics: [topic] })
  const parts = meta.topics[0].partitions
  if (parts.length !== partitions || parts.some(p => p.leader < 0 || p.replicas.length !== replicas)) {
    fail(`topic ${topic} metadata ${JSON.stringify(parts)}`)
  }
  const tCreated = Date.now()

  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
  await producer.connect()
  for (let first = 0; first < count; first += SEND_CHUNK) {
    const messages = []
    for (let i = first; i < Math.min(count, first + SEND_CHUNK); i++) {
      messages.push({
        key: keyOf(i),
        value: valueOf(tag, i),
        headers: { i: String(i), tag },
        timestamp: String(baseTs + i),
      })
    }
    const results = await producer.send({ topic, acks: -1, compression, timeout: 30000, messages })
    for (const r of results) {
      if (r.errorCode !== 0) fail(`produce to partition ${r.partition}: error ${r.errorCode}`)
    }
  }
  await producer.disconnect()
  const tProduced = Date.now()

  const scratch = `${topic}-scratch`
  if (!(await admin.createTopics({ topics: [{ topic: scratch, numPartitions: partitions, replicationFactor: replicas }], waitForLeaders: true, timeout: 30000 }))) {
    fail(`createTopics ${scratch}: topic already existed`)
  }
  if (!(await admin.listTopics()).includes(scratch)) fail(`listTopics does not name ${scratch} after creating it`)
  await admin.deleteTopics({ topics: [scratch], timeout: 30000 })
  for (;;) {
    const names = await admin.listTopics()
    if (!names.includes(scratch)) {
      if (!names.includes(topic)) fail(`listTopics lost ${topic} while deleting ${scratch}`)
      break
    }
    if (Date.now() > deadline) fail(`${scratch} still listed after deleteTopics`)
    await sleep(200)
  }
  await admin.disconnect()
  const tDeleted = Date.now()
  console.log(`kafkajs ${codec}: create ${(tCreated - start) / 1000}s, produce ${(tProduced - tCreated) / 1000}s, ` +
              `create+delete ${(tDeleted - tProduced) / 1000}s`)
  console.log(`kafkajs ${codec}: OK: produced ${count} records to ${topic}; created and deleted ${scratch}`)
}

main().catch(e => fail(e && e.stack ? e.stack : String(e)))
