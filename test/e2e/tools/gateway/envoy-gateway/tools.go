//go:build tools

// The Envoy Gateway controller and its CLI (egctl, for the offline `x translate`), listed so
// `go mod tidy` keeps them.
package tools

import (
	_ "github.com/envoyproxy/gateway/cmd/egctl"
	_ "github.com/envoyproxy/gateway/cmd/envoy-gateway"
)
