// @platformatic/kafka scenarios for tools/capture/capture_requests.py.
// Usage: node platformatic_scenarios.mjs BOOTSTRAP SCENARIO [--hold]
// SCENARIO: produce | idempotent | transactional | consume | admin
import {
  Admin, Consumer, Producer, ProduceAcks, stringSerializers, stringDeserializers
} from '@platformatic/kafka'
import { hold, run } from './hold.mjs'

const TOPIC = 'karst-golden'
const KEYS = ['alpha', 'bravo', 'charlie']
const CLIENT_ID = 'karst-capture-platformatic'

function messages (topic) {
  return KEYS.map((key, i) => ({
    topic,
    key,
    value: `value-${i}`,
    timestamp: BigInt(1700000000000 + i),
    headers: i === 0 ? { h: '1' } : undefined
  }))
}

async function produce (bootstrap, topic, options) {
  const producer = new Producer({
    clientId: CLIENT_ID,
    bootstrapBrokers: [bootstrap],
    serializers: stringSerializers,
    autocreateTopics: true,
    retries: 3,
    retryDelay: 50,
    ...options
  })
  try {
    if (options.transactionalId) {
      const consumer = new Consumer({
        clientId: CLIENT_ID,
        groupId: 'karst-golden-txn-group',
        bootstrapBrokers: [bootstrap],
        deserializers: stringDeserializers
      })
      const txn = await producer.beginTransaction()
      await txn.send({ messages: messages(topic), acks: ProduceAcks.ALL })
      await txn.addConsumer(consumer)
      // A consumed message stands in for one the transaction read: the
      // offset commit takes the group from message.metadata.consumer.
      await txn.addOffset({
        topic,
        partition: 0,
        offset: 0n,
        key: '',
        value: '',
        headers: new Map(),
        timestamp: 0n,
        metadata: { consumer: { groupId: consumer.groupId, generationId: -1, memberId: '', coordinatorId: 1 } }
      })
      await txn.commit()
      await consumer.close()
    } else {
      const result = await producer.send({ messages: messages(topic), acks: ProduceAcks.ALL })
      if (!result.offsets || result.offsets.length === 0) throw new Error('no offsets in the produce result')
    }
  } finally {
    await producer.close()
  }
}

async function consume (bootstrap, doHold) {
  const consumer = new Consumer({
    clientId: CLIENT_ID,
    groupId: 'karst-golden-group',
    bootstrapBrokers: [bootstrap],
    deserializers: stringDeserializers,
    sessionTimeout: 6000,
    heartbeatInterval: 100,
    maxWaitTime: 100
  })
  const stream = await consumer.consume({ topics: [TOPIC], mode: 'committed', fallbackMode: 'earliest', autocommit: false })
  let got = 0
  for await (const message of stream) {
    await message.commit()
    if (++got >= KEYS.length) break
  }
  if (doHold) await hold()
  await stream.close()
  await consumer.close()
}

async function admin (bootstrap) {
  const a = new Admin({ clientId: CLIENT_ID, bootstrapBrokers: [bootstrap] })
  try {
    await a.createTopics({ topics: ['karst-admin'], partitions: 2, replicas: 1 })
    await a.listOffsets({ topics: [{ name: 'karst-admin', partitions: [{ partitionIndex: 0, timestamp: -1n }] }] })
    await a.describeConfigs({ resources: [{ resourceType: 2, resourceName: 'karst-admin' }] })
    await a.deleteTopics({ topics: ['karst-admin'] })
  } finally {
    await a.close()
  }
}

run({
  produce: b => produce(b, TOPIC, {}),
  idempotent: b => produce(b, TOPIC + '-idem', { idempotent: true }),
  transactional: b => produce(b, TOPIC + '-txn', { transactionalId: 'karst-golden-txn', idempotent: true }),
  consume,
  admin
})
