package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/internal/membudget"
	"github.com/tributary-io/tributary/node"
)

// loadConfig reads the config file if one is given, then applies the flags
// over it.
func loadConfig(f serveFlags) (config.Config, error) {
	cfg := config.Default()
	if f.config != "" {
		var err error
		if cfg, err = config.Load(f.config); err != nil {
			return cfg, err
		}
	}
	if f.dataDir != "" {
		cfg.DataDir = f.dataDir
	}
	if f.kafkaAddr != "" {
		// --kafka-addr chooses this broker's own address and advertises it.
		l := &cfg.Kafka.Listeners[0]
		l.ListenAddress, l.AdvertiseAddress = f.kafkaAddr, f.kafkaAddr
	}
	if f.adminAddr != "" {
		cfg.Admin.ListenAddress = f.adminAddr
	}
	if f.registryAddr != "" {
		cfg.Registry.ListenAddress = f.registryAddr
	}
	if f.catalogAddr != "" {
		cfg.Catalog.ListenAddress = f.catalogAddr
	}
	return cfg, cfg.Validate()
}

// spikeCheck is how often serve looks for idle heap to give back.
const spikeCheck = 5 * time.Second

// shutdownGrace bounds the drain on SIGTERM.
const shutdownGrace = 30 * time.Second

func serve(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	n, err := node.Start(cfg, log, node.Hooks{})
	if err != nil {
		return err
	}
	mem := n.Memory()
	limit, fromEnv := mem.SetGoLimit()
	log.Info("memory", "budget", mem.Budget, "go_limit", limit, "go_limit_from_GOMEMLIMIT", fromEnv)
	go membudget.ReturnAfterSpikes(ctx, spikeCheck, uint64(max(mem.Budget/8, 32<<20)), log)
	<-ctx.Done()
	log.Info("shutting down: draining connections and flushing")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	err = n.Close(sctx)
	log.Info("stopped")
	return err
}
