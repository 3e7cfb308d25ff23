// Command consumer reads carts from a topic and says what it finds: valid
// carts, carts protovalidate refuses (a zero-quantity line item), and
// records that are no cart at all. With a fetch policy filtering the
// topic, the last two never arrive. With --dlq it reads a dead-letter
// topic instead and prints where each record was headed and why the
// broker refused it (the tributary.dlq.* headers).
//
//	go run ./examples/consumer --topic orders
//	go run ./examples/consumer --topic orders.dlq --dlq
package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"os"
	"os/signal"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tributary-io/tributary/examples/internal/shop"
)

func main() {
	brokers := flag.String("brokers", "127.0.0.1:9092", "Kafka address")
	topic := flag.String("topic", "orders", "topic to consume")
	group := flag.String("group", "", "consumer group (empty: no group, from the start)")
	dlq := flag.Bool("dlq", false, "the topic is a dead-letter topic")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	opts := []kgo.Opt{kgo.SeedBrokers(*brokers), kgo.ConsumeTopics(*topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())}
	if *group != "" {
		opts = append(opts, kgo.ConsumerGroup(*group))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		log.Error("client", "err", err)
		os.Exit(1)
	}
	defer cl.Close()
	for {
		fs := cl.PollFetches(ctx)
		if errors.Is(fs.Err0(), context.Canceled) {
			return
		}
		fs.EachError(func(t string, p int32, err error) { log.Error("fetch", "topic", t, "partition", p, "err", err) })
		fs.EachRecord(func(r *kgo.Record) {
			if *dlq {
				log.Info("dead letter", "offset", r.Offset, "from", header(r, "tributary.dlq.topic"),
					"partition", header(r, "tributary.dlq.partition"), "why", header(r, "tributary.dlq.error"))
				return
			}
			cart, err := shop.Decode(r.Value)
			switch {
			case err != nil:
				log.Warn("consumed a record that is no cart", "offset", r.Offset, "err", err)
			case shop.Why(cart) != "":
				log.Warn("consumed an invalid cart", "offset", r.Offset, "cart_id", cart.CartId, "why", shop.Why(cart))
			default:
				log.Info("consumed a cart", "offset", r.Offset, "cart_id", cart.CartId, "customer", cart.CustomerId, "items", len(cart.LineItems))
			}
		})
	}
}

func header(r *kgo.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}
