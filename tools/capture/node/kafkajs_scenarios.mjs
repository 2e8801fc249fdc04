// kafkajs 2.2.4 scenarios for tools/capture/capture_requests.py.
// Usage: node kafkajs_scenarios.mjs BOOTSTRAP SCENARIO [--hold]
// SCENARIO: produce | idempotent | transactional | consume | admin
import kafkajs from 'kafkajs'
import { hold, run } from './hold.mjs'

const { Kafka, logLevel, CompressionTypes } = kafkajs
const TOPIC = 'karst-golden'
const KEYS = ['alpha', 'bravo', 'charlie']

function client (bootstrap) {
  return new Kafka({
    clientId: 'karst-capture-kafkajs',
    brokers: [bootstrap],
    logLevel: logLevel.ERROR,
    retry: { retries: 3, initialRetryTime: 50 }
  })
}

function messages () {
  return KEYS.map((key, i) => ({
    key,
    value: `value-${i}`,
    timestamp: String(1700000000000 + i),
    headers: i === 0 ? { h: '1' } : undefined
  }))
}

async function produce (bootstrap, topic, options) {
  const producer = client(bootstrap).producer(options)
  await producer.connect()
  if (options.transactionalId) {
    const txn = await producer.transaction()
    await txn.send({ topic, messages: messages(), compression: CompressionTypes.None })
    await txn.sendOffsets({
      consumerGroupId: 'karst-golden-txn-group',
      topics: [{ topic, partitions: [{ partition: 0, offset: '1' }] }]
    })
    await txn.commit()
  } else {
    await producer.send({ topic, acks: -1, messages: messages(), compression: CompressionTypes.None })
  }
  await producer.disconnect()
}

async function consume (bootstrap, doHold) {
  const consumer = client(bootstrap).consumer({
    groupId: 'karst-golden-group',
    heartbeatInterval: 100,
    sessionTimeout: 6000,
    maxWaitTimeInMs: 100
  })
  await consumer.connect()
  await consumer.subscribe({ topics: [TOPIC], fromBeginning: true })
  let got = 0
  let resolveGot
  const gotAll = new Promise(resolve => { resolveGot = resolve })
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic, partition, message }) => {
      got++
      await consumer.commitOffsets([{ topic, partition, offset: String(BigInt(message.offset) + 1n) }])
      if (got >= KEYS.length) resolveGot()
    }
  })
  await gotAll
  if (doHold) await hold()
  await consumer.disconnect()
}

async function admin (bootstrap) {
  const a = client(bootstrap).admin()
  await a.connect()
  const created = await a.createTopics({ topics: [{ topic: 'karst-admin', numPartitions: 2, replicationFactor: 1 }] })
  if (!created) throw new Error('createTopics returned false')
  await a.fetchTopicOffsets('karst-admin')
  await a.describeConfigs({ resources: [{ type: 2, name: 'karst-admin' }], includeSynonyms: false })
  await a.deleteTopics({ topics: ['karst-admin'] })
  await a.disconnect()
}

run({
  produce: b => produce(b, TOPIC, {}),
  idempotent: b => produce(b, TOPIC + '-idem', { idempotent: true, maxInFlightRequests: 1 }),
  transactional: b => produce(b, TOPIC + '-txn', { transactionalId: 'karst-golden-txn', idempotent: true, maxInFlightRequests: 1 }),
  consume,
  admin
})
