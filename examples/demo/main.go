// Command demo walks through broker-side schema enforcement against a
// running Tributary, in one command:
//
//	go run ./cmd/tributary serve                  # terminal 1 (or with --config examples/tributary.yaml)
//	go run ./examples/demo                        # terminal 2
//
// It registers the shop schema (examples/proto) with the built-in registry,
// then sends the same mix of carts — valid ones, semantically invalid ones
// (a line item of quantity 0) and malformed ones (bytes that are no Cart)
// — to three topics:
//
//	carts          no validation: everything is stored
//	carts-checked  bufstream.validate.mode=reject: bad carts are refused (INVALID_RECORD)
//	orders         bufstream.validate.mode=dlq: bad carts go to orders.dlq, the rest is stored
//
// and reads back what each topic (and orders.dlq) holds.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/tributary-io/tributary/examples/internal/shop"
)

type topic struct {
	name    string
	configs map[string]*string
	about   string
}

func ptr(s string) *string { return &s }

var topics = []topic{
	{"carts", nil, "no validation"},
	{"carts-checked", map[string]*string{"bufstream.validate.mode": ptr("reject")}, "reject mode"},
	{"orders", map[string]*string{"bufstream.validate.mode": ptr("dlq"), "bufstream.validate.dlq.topic": ptr("orders.dlq")}, "dlq mode"},
}

// The broker would create orders.dlq on the first dead letter; the demo
// creates it first so that it can note where it ends before producing.
var dlqTopic = topic{"orders.dlq", nil, "dead letters of orders"}

func main() {
	brokers := flag.String("brokers", "127.0.0.1:9092", "Kafka address of a Tributary broker")
	registry := flag.String("registry", "http://127.0.0.1:8081", "schema registry URL (the broker's built-in one)")
	count := flag.Int("count", 20, "carts sent to each topic")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := run(ctx, *brokers, *registry, *count); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, brokers, registry string, count int) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers), kgo.ProducerLinger(0))
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	rcl, err := sr.NewClient(sr.URLs(registry))
	if err != nil {
		return err
	}
	for _, t := range append(topics, dlqTopic) {
		if err := ensureTopic(ctx, adm, t); err != nil {
			return err
		}
	}
	start, err := adm.ListEndOffsets(ctx, "carts", "carts-checked", "orders", "orders.dlq")
	if err != nil {
		return err
	}
	for _, t := range topics {
		id, err := shop.Register(ctx, rcl, t.name+"-value")
		if err != nil {
			return err
		}
		fmt.Printf("\n== %s (%s), schema id %d\n", t.name, t.about, id)
		if err := produce(ctx, cl, shop.NewSerde(id), id, t.name, count); err != nil {
			return err
		}
	}
	fmt.Println("\n== what consumers read")
	for _, name := range []string{"carts", "carts-checked", "orders", "orders.dlq"} {
		if err := consume(ctx, cl, adm, name, start); err != nil {
			return err
		}
	}
	return nil
}

// ensureTopic creates t, or sets its configs if it exists.
func ensureTopic(ctx context.Context, adm *kadm.Client, t topic) error {
	res, err := adm.CreateTopic(ctx, 1, -1, t.configs, t.name)
	if err == nil && res.Err == nil {
		return nil
	}
	if !errors.Is(res.Err, kerr.TopicAlreadyExists) && err == nil {
		err = res.Err
	}
	if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
		return fmt.Errorf("create %s: %w", t.name, err)
	}
	var alter []kadm.AlterConfig
	for k, v := range t.configs {
		alter = append(alter, kadm.AlterConfig{Op: kadm.SetConfig, Name: k, Value: v})
	}
	if len(alter) == 0 {
		return nil
	}
	rs, err := adm.AlterTopicConfigs(ctx, alter, t.name)
	if err == nil {
		err = rs[0].Err
	}
	return err
}

// produce sends count carts to topic, one record per produce request:
// every fifth has a zero quantity, every seventh is malformed.
func produce(ctx context.Context, cl *kgo.Client, s *sr.Serde, id int, topic string, count int) error {
	r := rand.New(rand.NewPCG(1, 2))
	stored, refused := 0, 0
	for i := range count {
		kind := shop.Valid
		switch {
		case i%7 == 6:
			kind = shop.Malformed
		case i%5 == 4:
			kind = shop.ZeroQuantity
		}
		customer := fmt.Sprintf("customer-%d", i%4)
		_, value, err := shop.Cart(s, id, kind, customer, r)
		if err != nil {
			return err
		}
		key, err := shop.Key(s, customer)
		if err != nil {
			return err
		}
		res := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Key: key, Value: value})
		switch rec, err := res.First(); {
		case err == nil:
			stored++
			if kind != shop.Valid {
				fmt.Printf("  %-13s cart accepted at offset %d\n", kind, rec.Offset)
			}
		case errors.Is(err, kerr.InvalidRecord):
			refused++
			fmt.Printf("  %-13s cart refused: %v\n", kind, err)
		default:
			return fmt.Errorf("produce to %s: %w", topic, err)
		}
	}
	fmt.Printf("  sent %d: %d acknowledged, %d refused\n", count, stored, refused)
	return nil
}

// consume reads name from where it ended before the demo produced.
func consume(ctx context.Context, cl *kgo.Client, adm *kadm.Client, name string, start kadm.ListedOffsets) error {
	end, err := adm.ListEndOffsets(ctx, name)
	if err != nil {
		return err
	}
	from, _ := start.Lookup(name, 0)
	to, _ := end.Lookup(name, 0)
	c, err := kgo.NewClient(kgo.SeedBrokers(cl.OptValue(kgo.SeedBrokers).([]string)...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{name: {0: kgo.NewOffset().At(max(from.Offset, 0))}}))
	if err != nil {
		return err
	}
	defer c.Close()
	valid, invalid, unreadable := 0, 0, 0
	for next := max(from.Offset, 0); next < to.Offset; {
		// A fetch policy may filter the tail away: then no record
		// arrives to say so, and a short poll ends the wait.
		pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		fs := c.PollFetches(pctx)
		cancel()
		if err := fs.Err0(); errors.Is(err, context.DeadlineExceeded) {
			break
		} else if err != nil {
			return fmt.Errorf("consume %s: %w", name, err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			next = r.Offset + 1
			if name == "orders.dlq" {
				fmt.Printf("  %s: dead letter from %s[%s]: %s\n", name, header(r, "tributary.dlq.topic"), header(r, "tributary.dlq.partition"), header(r, "tributary.dlq.error"))
				return
			}
			cart, err := shop.Decode(r.Value)
			switch {
			case err != nil:
				unreadable++
			case shop.Why(cart) != "":
				invalid++
			default:
				valid++
			}
		})
	}
	if name != "orders.dlq" {
		fmt.Printf("  %-14s %d valid, %d semantically invalid, %d unreadable carts\n", name+":", valid, invalid, unreadable)
	}
	return nil
}

func header(r *kgo.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}
