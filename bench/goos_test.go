package bench

import "runtime"

func goos() string { return runtime.GOOS + "/" + runtime.GOARCH + " " + runtime.Version() }
