//go:build tools

// The Envoy AI Gateway controller (Envoy Gateway's extension server) and its external processor
// (the token accounting filter the data path runs), listed so `go mod tidy` keeps them.
package tools

import (
	_ "github.com/envoyproxy/ai-gateway/cmd/controller"
	_ "github.com/envoyproxy/ai-gateway/cmd/extproc"
)
