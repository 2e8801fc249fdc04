// sarama_client: sarama 1.22 (Debian's golang-github-shopify-sarama-dev, Version 2.0.0) against a
// Karst cluster. Its ClusterAdmin creates TOPIC (PARTITIONS partitions, replication factor
// REPLICAS; CreateTopics), its AsyncProducer sends COUNT keyed records with acks=all (WaitForAll)
// and CODEC, each with headers and an explicit timestamp (the records of records.py), and its
// Consumer reads every partition from the oldest offset (ConsumePartition, no group) until all
// are back. Records are checked as records.py's Checker does. Exits 0 when all were read back
// intact, 1 naming the mismatches.
//
// Usage: sarama_client BOOTSTRAP TOPIC COUNT CODEC [PARTITIONS REPLICAS]
// CODEC: none, gzip, snappy, lz4 or zstd. Build offline with GO111MODULE=off and
// GOPATH=/usr/share/gocode (see karstd_clients_test.cc).
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/Shopify/sarama"
)

const (
	nkeys     = 1000
	maxErrors = 20
)

var filler = strings.Repeat("karst-compat-", 4)

func keyOf(i int) string { return fmt.Sprintf("k%04d", i%nkeys) }

func valueOf(tag string, i int) string {
	return fmt.Sprintf("%s|i=%d|k=%d|seq=%d|%s", tag, i, i%nkeys, i/nkeys, filler)
}

func fail(format string, args ...interface{}) {
	fmt.Printf("sarama: FAILED: "+format+"\n", args...)
	os.Exit(1)
}

type checker struct {
	tag        string
	count      int
	baseTs     int64
	seen       []bool
	numSeen    int
	lastOffset map[int32]int64
	lastSeq    map[int][2]int // key -> (partition, seq)
	errors     []string
	numErrors  int
}

func (c *checker) errorf(format string, args ...interface{}) {
	c.numErrors++
	if len(c.errors) < maxErrors {
		c.errors = append(c.errors, fmt.Sprintf(format, args...))
	}
}

func (c *checker) add(m *sarama.ConsumerMessage) {
	where := fmt.Sprintf("partition %d offset %d", m.Partition, m.Offset)
	if prev, ok := c.lastOffset[m.Partition]; ok && m.Offset <= prev {
		c.errorf("%s: offset not above the previous %d", where, prev)
	}
	c.lastOffset[m.Partition] = m.Offset
	value := string(m.Value)
	parts := strings.Split(value, "|")
	i := -1
	if len(parts) > 1 && strings.HasPrefix(parts[1], "i=") {
		if n, err := strconv.Atoi(parts[1][2:]); err == nil {
			i = n
		}
	}
	if i < 0 || i >= c.count {
		c.errorf("%s: value %q is not a record of this run", where, value)
		return
	}
	if c.seen[i] {
		c.errorf("%s: record %d read twice", where, i)
		return
	}
	c.seen[i] = true
	c.numSeen++
	if string(m.Key) != keyOf(i) {
		c.errorf("%s: record %d key %q, want %q", where, i, m.Key, keyOf(i))
	}
	if value != valueOf(c.tag, i) {
		c.errorf("%s: record %d value %q, want %q", where, i, value, valueOf(c.tag, i))
	}
	var headers []string
	for _, h := range m.Headers {
		headers = append(headers, string(h.Key)+"="+string(h.Value))
	}
	want := []string{"i=" + strconv.Itoa(i), "tag=" + c.tag}
	if strings.Join(headers, ",") != strings.Join(want, ",") || len(headers) != 2 {
		c.errorf("%s: record %d headers %q, want %q", where, i, headers, want)
	}
	if ts := m.Timestamp.UnixNano() / 1e6; ts != c.baseTs+int64(i) {
		c.errorf("%s: record %d timestamp %d, want %d", where, i, ts, c.baseTs+int64(i))
	}
	k, seq := i%nkeys, i/nkeys
	if last, ok := c.lastSeq[k]; ok {
		if int32(last[0]) != m.Partition {
			c.errorf("%s: key %s also in partition %d", where, keyOf(i), last[0])
		} else if seq <= last[1] {
			c.errorf("%s: key %s seq %d after seq %d", where, keyOf(i), seq, last[1])
		}
	}
	c.lastSeq[k] = [2]int{int(m.Partition), seq}
}

func main() {
	if len(os.Args) != 5 && len(os.Args) != 7 {
		fmt.Fprintln(os.Stderr, "usage: sarama_client BOOTSTRAP TOPIC COUNT CODEC [PARTITIONS REPLICAS]")
		os.Exit(2)
	}
	brokers := strings.Split(os.Args[1], ",")
	topic := os.Args[2]
	count, err := strconv.Atoi(os.Args[3])
	if err != nil {
		fail("bad COUNT %q", os.Args[3])
	}
	codecName := os.Args[4]
	partitions, replicas := 3, 3
	if len(os.Args) == 7 {
		partitions, _ = strconv.Atoi(os.Args[5])
		replicas, _ = strconv.Atoi(os.Args[6])
	}
	codecs := map[string]sarama.CompressionCodec{
		"none": sarama.CompressionNone, "gzip": sarama.CompressionGZIP,
		"snappy": sarama.CompressionSnappy, "lz4": sarama.CompressionLZ4,
		"zstd": sarama.CompressionZSTD,
	}
	codec, ok := codecs[codecName]
	if !ok {
		fail("unknown codec %q", codecName)
	}
	deadlineS := 120.0
	if s := os.Getenv("KARST_CLIENT_DEADLINE_S"); s != "" {
		deadlineS, _ = strconv.ParseFloat(s, 64)
	}
	start := time.Now()
	deadline := start.Add(time.Duration(deadlineS * float64(time.Second)))
	time.AfterFunc(time.Until(deadline), func() { fail("not done within %.0f s", deadlineS) })
	tag := "sarama-" + codecName
	baseTs := time.Now().UnixNano()/1e6 - int64(count)

	config := sarama.NewConfig()
	config.ClientID = "karst-compat-sarama"
	config.Version = sarama.V2_0_0_0
	if codec == sarama.CompressionZSTD {
		config.Version = sarama.V2_1_0_0 // sarama sends zstd only from 2.1 on
	}
	config.Producer.RequiredAcks = sarama.WaitForAll
	config.Producer.Compression = codec
	config.Producer.Partitioner = sarama.NewHashPartitioner
	config.Producer.Return.Successes = true
	config.Producer.Return.Errors = true
	config.Producer.Flush.Frequency = 10 * time.Millisecond
	config.Producer.Flush.MaxMessages = 10000
	config.Producer.Retry.Max = 10
	config.Consumer.Return.Errors = true
	config.Consumer.Fetch.Default = 4 << 20

	admin, err := sarama.NewClusterAdmin(brokers, config)
	if err != nil {
		fail("NewClusterAdmin: %v", err)
	}
	if err := admin.CreateTopic(topic, &sarama.TopicDetail{
		NumPartitions: int32(partitions), ReplicationFactor: int16(replicas)}, false); err != nil {
		fail("CreateTopic %s: %v", topic, err)
	}
	admin.Close()

	client, err := sarama.NewClient(brokers, config)
	if err != nil {
		fail("NewClient: %v", err)
	}
	defer client.Close()
	for {
		client.RefreshMetadata(topic)
		ids, err := client.Partitions(topic)
		if err == nil && len(ids) == partitions {
			leaders := 0
			for _, p := range ids {
				if b, err := client.Leader(topic, p); err == nil && b != nil {
					leaders++
				}
			}
			if leaders == partitions {
				break
			}
		}
		if time.Now().After(deadline) {
			fail("topic %s never had %d partitions with leaders", topic, partitions)
		}
		time.Sleep(200 * time.Millisecond)
	}
	tCreated := time.Now()

	producer, err := sarama.NewAsyncProducerFromClient(client)
	if err != nil {
		fail("NewAsyncProducer: %v", err)
	}
	var wg sync.WaitGroup
	var produceErrors []string
	numErrors, numAcked := 0, 0
	wg.Add(2)
	go func() {
		defer wg.Done()
		for range producer.Successes() {
			numAcked++
		}
	}()
	go func() {
		defer wg.Done()
		for e := range producer.Errors() {
			numErrors++
			if len(produceErrors) < maxErrors {
				produceErrors = append(produceErrors, fmt.Sprintf("record %v: %v", e.Msg.Key, e.Err))
			}
		}
	}()
	for i := 0; i < count; i++ {
		producer.Input() <- &sarama.ProducerMessage{
			Topic: topic,
			Key:   sarama.StringEncoder(keyOf(i)),
			Value: sarama.StringEncoder(valueOf(tag, i)),
			Headers: []sarama.RecordHeader{
				{Key: []byte("i"), Value: []byte(strconv.Itoa(i))},
				{Key: []byte("tag"), Value: []byte(tag)},
			},
			Timestamp: time.Unix(0, (baseTs+int64(i))*1e6),
		}
	}
	producer.AsyncClose()
	wg.Wait()
	if numErrors > 0 {
		fail("%d produce errors:\n  %s", numErrors, strings.Join(produceErrors, "\n  "))
	}
	if numAcked != count {
		fail("%d of %d records acknowledged", numAcked, count)
	}
	tProduced := time.Now()

	consumer, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		fail("NewConsumer: %v", err)
	}
	c := &checker{tag: tag, count: count, baseTs: baseTs, seen: make([]bool, count),
		lastOffset: map[int32]int64{}, lastSeq: map[int][2]int{}}
	messages := make(chan *sarama.ConsumerMessage, 10000)
	for p := 0; p < partitions; p++ {
		pc, err := consumer.ConsumePartition(topic, int32(p), sarama.OffsetOldest)
		if err != nil {
			fail("ConsumePartition %d: %v", p, err)
		}
		go func(pc sarama.PartitionConsumer) {
			for m := range pc.Messages() {
				messages <- m
			}
		}(pc)
		go func(p int, pc sarama.PartitionConsumer) {
			for e := range pc.Errors() {
				fail("consume partition %d: %v", p, e)
			}
		}(p, pc)
	}
	for c.numSeen < count {
		select {
		case m := <-messages:
			c.add(m)
		case <-time.After(time.Until(deadline)):
			fail("%d of %d records read at the deadline", c.numSeen, count)
		}
	}
	tConsumed := time.Now()
	fmt.Printf("sarama %s: create %.1fs, produce %.1fs, consume %.1fs\n", codecName,
		tCreated.Sub(start).Seconds(), tProduced.Sub(tCreated).Seconds(), tConsumed.Sub(tProduced).Seconds())
	if c.numErrors > 0 {
		fmt.Printf("sarama %s: FAILED: %d mismatches\n  %s\n", codecName, c.numErrors, strings.Join(c.errors, "\n  "))
		os.Exit(1)
	}
	var ranges []string
	for p := 0; p < partitions; p++ {
		if o, ok := c.lastOffset[int32(p)]; ok {
			ranges = append(ranges, fmt.Sprintf("p%d..%d", p, o))
		}
	}
	fmt.Printf("sarama %s: OK: %d records in %d partitions verified (%s)\n", codecName, c.numSeen,
		len(c.lastOffset), strings.Join(ranges, ", "))
}
