package main

import "os"

var osGetpid = os.Getpid

var sink uint64

// spin burns CPU for n iterations.
func spin(n int) {
	x := uint64(1)
	for i := 0; i < n; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	sink = x
}
