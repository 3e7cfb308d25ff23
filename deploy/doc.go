// Package deploy holds no code: its directory carries what deploying
// Tributary needs (grafana/: a dashboard on the metrics of
// docs/metrics.md), and its tests check those files against the code and
// docs.
package deploy
