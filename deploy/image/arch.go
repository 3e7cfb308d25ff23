package main

import "runtime"

// goarch is the image's architecture: the builder's (the binary is built
// for it by the same go toolchain; set GOARCH for both to cross-build).
func goarch() string { return runtime.GOARCH }
