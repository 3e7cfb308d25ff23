// Package membudget turns the memory a broker may use (config
// available_memory_bytes, else the cgroup limit, else a fraction of the
// machine's memory) into the sizes of what holds memory: the fetch cache,
// the bytes of queued Kafka requests, the intake buffer, and the Go
// runtime's soft memory limit. It also gives memory back to the operating
// system after a spike.
//
// Contract: Plan's sizes are fractions of the budget, chosen so that the
// bounded holders together stay under a third of it and the Go heap, at
// twice its live size, stays under the soft limit; Detect never fails (it
// falls back to 512 MiB when nothing can be read).
package membudget
