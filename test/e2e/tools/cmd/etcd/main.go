// etcd, built from the go.etcd.io/etcd/server/v3 module the API server's own dependencies pin.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
