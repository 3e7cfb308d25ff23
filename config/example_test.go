package config_test

import (
	"fmt"

	"github.com/tributary-io/tributary/config"
)

func ExampleParse() {
	cfg, err := config.Parse([]byte(`
version: v1beta1
kafka:
  listeners:
    - name: plain
      listen_address: 0.0.0.0:9092
      advertise_address: kafka.example.com:9092
intake:
  delay_max: 20ms
`))
	if err != nil {
		panic(err)
	}
	fmt.Println(cfg.Kafka.Listeners[0].Advertised(), cfg.Intake.Linger, cfg.Intake.MaxBytes)

	_, err = config.Parse([]byte("version: v1beta1\nkafka:\n  listners: []\n"))
	fmt.Println(err)
	// Output:
	// kafka.example.com:9092 20ms 4MiB
	// config: unknown key "kafka.listners" (line 3)
}
