#!/usr/bin/env node
// A consumer group member of mixed_group.py, with kafkajs 2.2.4.
//
// Subscribes to TOPIC in GROUP with autoCommit off and the assigner below, named "roundrobin"
// like librdkafka's and kafka-python's, so that all three can share one group (a group's
// members must agree on a protocol name; kafkajs's own is "RoundRobinAssigner"). Each batch is
// processed (every record logged) and its position committed with commitOffsets. Events go to
// LOG_FILE in member_log.py's format. kafkajs has no revocation callback: a REBALANCING event
// (or a new GROUP_JOIN) ends the current assignment, and a batch that straddles it stops
// processing there. SIGTERM: stop, log the revocation, disconnect (LeaveGroup) and exit 0.
//
// Usage: node kafkajs_member.js BOOTSTRAP TOPIC GROUP NAME LOG_FILE
// Needs kafkajs on NODE_PATH (tests/compat/js/node_modules, installed by tools/setup.sh).
// KARST_SESSION_TIMEOUT_MS (default 6000) sets sessionTimeout.
'use strict'

const fs = require('fs')
const path = require('path')
const { Kafka, AssignerProtocol, logLevel } = require('kafkajs')

const { MemberMetadata, MemberAssignment } = AssignerProtocol

// kafkajs tells no generation on joining; its Broker.joinGroup's response has it. This process
// has one consumer, so the last JoinGroup answered is the one a GROUP_JOIN completes.
let joinedGeneration = null
const Broker = require(path.join(path.dirname(require.resolve('kafkajs')), 'src', 'broker'))
const joinGroup = Broker.prototype.joinGroup
Broker.prototype.joinGroup = async function (...args) {
  const response = await joinGroup.apply(this, args)
  joinedGeneration = response.generationId
  return response
}

// Kafka's RoundRobinAssignor: the partitions of every subscribed topic, sorted by topic and
// partition, dealt in turn to the members (sorted by member id) subscribed to that topic.
const RoundRobin = ({ cluster }) => ({
  name: 'roundrobin',
  version: 0,
  async assign({ members }) {
    const subscriptions = new Map(
      members.map(m => [m.memberId, MemberMetadata.decode(m.memberMetadata).topics]))
    const ids = members.map(m => m.memberId).sort()
    const topics = [...new Set([...subscriptions.values()].flat())].sort()
    const assignment = new Map(ids.map(id => [id, {}]))
    let next = 0
    for (const topic of topics) {
      const partitions = cluster.findTopicPartitionMetadata(topic)
        .map(p => p.partitionId).sort((a, b) => a - b)
      for (const partition of partitions) {
        for (let k = 0; k < ids.length; k++) {
          const id = ids[(next + k) % ids.length]
          if (!subscriptions.get(id).includes(topic)) continue
          const mine = assignment.get(id)
          if (!mine[topic]) mine[topic] = []
          mine[topic].push(partition)
          next = (next + k + 1) % ids.length
          break
        }
      }
    }
    return ids.map(id => ({
      memberId: id,
      memberAssignment: MemberAssignment.encode({ version: 0, assignment: assignment.get(id) }),
    }))
  },
  protocol({ topics }) {
    return { name: 'roundrobin', metadata: MemberMetadata.encode({ version: 0, topics }) }
  },
})

async function main() {
  const args = process.argv.slice(2)
  if (args.length !== 5) {
    console.error('usage: kafkajs_member.js BOOTSTRAP TOPIC GROUP NAME LOG_FILE')
    process.exit(2)
  }
  const [bootstrap, topic, group, name, logFile] = args
  const fd = fs.openSync(logFile, 'a')
  let pending = ''
  const event = (kind, fields = {}, flush = true) => {
    pending += JSON.stringify({ ...fields, member: name, kind: 'kafkajs', event: kind, t: Date.now() }) + '\n'
    if (flush) flushLog()
  }
  const flushLog = () => {
    if (pending) fs.writeSync(fd, pending)
    pending = ''
  }

  const kafka = new Kafka({
    clientId: name,
    brokers: bootstrap.split(','),
    logLevel: process.env.KARST_KAFKAJS_DEBUG ? logLevel.DEBUG : logLevel.WARN,
    retry: { retries: 10 },
  })
  const consumer = kafka.consumer({
    groupId: group,
    partitionAssigners: [RoundRobin],
    sessionTimeout: Number(process.env.KARST_SESSION_TIMEOUT_MS || '6000'),
    rebalanceTimeout: 30000,
    heartbeatInterval: 1000,
    // kafkajs heartbeats (and so notices a rebalance) only between fetches; its default 5 s
    // fetch wait made every rebalance wait for it. 500 ms is librdkafka's and kafka-python's.
    maxWaitTimeInMs: 500,
  })
  let owned = new Set()
  let generation = null
  let epoch = 0 // bumped whenever the assignment ends, so a running batch stops
  let stopping = false
  const revokeAll = () => {
    epoch++
    if (owned.size) event('revoked', { partitions: [...owned].sort((a, b) => a - b), generation })
    owned = new Set()
  }
  consumer.on(consumer.events.REBALANCING, revokeAll)
  consumer.on(consumer.events.GROUP_JOIN, e => {
    revokeAll()
    const partitions = (e.payload.memberAssignment[topic] || []).slice().sort((a, b) => a - b)
    owned = new Set(partitions)
    generation = joinedGeneration
    event('assigned', { partitions, generation })
  })
  consumer.on(consumer.events.CRASH, e => {
    event('error', { error: String(e.payload.error), restart: e.payload.restart })
    // kafkajs gives up on a non-retriable error: this member is gone, say so.
    if (!e.payload.restart) process.exit(1)
  })

  process.on('SIGTERM', async () => {
    if (stopping) return
    stopping = true
    revokeAll()
    try {
      await consumer.disconnect()
    } catch (e) {
      event('error', { error: `disconnect: ${e}` })
    }
    event('closed')
    process.exit(0)
  })

  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  event('started')
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, isRunning, isStale }) => {
      const mine = epoch
      const live = () => !stopping && epoch === mine && isRunning() && !isStale() &&
        owned.has(batch.partition)
      let last = null
      for (const m of batch.messages) {
        if (!live()) break
        event('processed', { partition: batch.partition, offset: Number(m.offset), value: m.value.toString() }, false)
        last = m.offset
        resolveOffset(m.offset)
      }
      flushLog()
      if (last === null) return
      const offset = (BigInt(last) + 1n).toString()
      const sent = Date.now()
      const committing = generation
      try {
        await consumer.commitOffsets([{ topic, partition: batch.partition, offset }])
      } catch (e) {
        event('commit_failed', { error: String(e) })
        return
      }
      // kafkajs resolves a commit it gave up on once the consumer stopped running (Runner's
      // commitOffsets returns instead of throwing): its outcome is unknown.
      if (stopping || !isRunning()) {
        event('commit_failed', { error: 'consumer stopped during the commit: outcome unknown' })
        return
      }
      event('committed', { partition: batch.partition, offset: Number(offset), sent, generation: committing })
    },
  })
}

main().catch(e => {
  console.log(`kafkajs member: FAILED: ${e && e.stack ? e.stack : e}`)
  process.exit(1)
})
