//go:build tools

// The global rate-limit service Envoy Gateway configures over xDS (its main package), listed so
// `go mod tidy` keeps it.
package tools

import (
	_ "github.com/envoyproxy/ratelimit/src/service_cmd"
)
