// Command producer sends carts to a topic in the Confluent wire format, as
// Buf's bufstream-demo producer does: mostly valid ones, now and then one
// with a zero-quantity line item (semantically invalid) and, less often,
// one whose bytes are no Cart at all (malformed). It registers the schema
// under <topic>-value first, and logs what the broker does with each bad
// cart: refused with INVALID_RECORD (reject mode, REJECT_BATCH policies)
// or acknowledged (no validation, dlq mode, FILTER_RECORD).
//
//	go run ./examples/producer --topic orders
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/signal"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/tributary-io/tributary/examples/internal/shop"
)

func main() {
	brokers := flag.String("brokers", "127.0.0.1:9092", "Kafka address")
	registry := flag.String("registry", "http://127.0.0.1:8081", "schema registry URL")
	topic := flag.String("topic", "orders", "topic to produce to")
	rate := flag.Duration("every", 200*time.Millisecond, "time between carts")
	count := flag.Int("count", 0, "carts to send (0: until interrupted)")
	invalidEvery := flag.Int("invalid-every", 10, "every Nth cart has a zero-quantity line item (0: none)")
	malformedEvery := flag.Int("malformed-every", 25, "every Nth cart is malformed (0: none)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(ctx, log, *brokers, *registry, *topic, *rate, *count, *invalidEvery, *malformedEvery); err != nil && !errors.Is(err, context.Canceled) {
		log.Error("producer failed", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, log *slog.Logger, brokers, registry, topic string, every time.Duration, count, invalidEvery, malformedEvery int) error {
	rcl, err := sr.NewClient(sr.URLs(registry))
	if err != nil {
		return err
	}
	id, err := shop.Register(ctx, rcl, topic+"-value")
	if err != nil {
		return err
	}
	serde := shop.NewSerde(id)
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers), kgo.AllowAutoTopicCreation())
	if err != nil {
		return err
	}
	defer cl.Close()
	log.Info("producing", "topic", topic, "schema_id", id)
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	tick := time.NewTicker(every)
	defer tick.Stop()
	for i := 1; count == 0 || i <= count; i++ {
		kind := shop.Valid
		switch {
		case malformedEvery > 0 && i%malformedEvery == 0:
			kind = shop.Malformed
		case invalidEvery > 0 && i%invalidEvery == 0:
			kind = shop.ZeroQuantity
		}
		customer := fmt.Sprintf("customer-%d", r.IntN(20))
		cart, value, err := shop.Cart(serde, id, kind, customer, r)
		if err != nil {
			return err
		}
		key, err := shop.Key(serde, customer)
		if err != nil {
			return err
		}
		rec, err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Key: key, Value: value}).First()
		switch {
		case errors.Is(err, kerr.InvalidRecord):
			log.Warn("broker refused a cart", "kind", kind, "cart_id", cart.CartId, "err", err)
		case err != nil:
			return err
		case kind != shop.Valid:
			log.Info("broker acknowledged a bad cart", "kind", kind, "cart_id", cart.CartId, "offset", rec.Offset)
		default:
			log.Debug("produced", "cart_id", cart.CartId, "offset", rec.Offset)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	return nil
}
