// gokit_etcdv3 registers and discovers instances exactly as go-kit's sd/etcdv3 package does
// (go-kit v0.10 sd/etcdv3/client.go): key = prefix + instance, value = instance, on a lease kept alive;
// discovery = the values of every key under the prefix, then a prefix watch.
//
// Debian packages go-kit (golang-github-go-kit-kit-dev) without its sd/etcdv3 directory, so this program
// repeats that package's few etcd calls with the same official Go client (go.etcd.io/etcd/clientv3,
// from golang-etcd-server-dev) that go-kit uses. It is the Go side of tests/sd/gokit_interop_test.cpp.
//
//   gokit_etcdv3 register ENDPOINTS PREFIX INSTANCE TTL   # prints "registered", deregisters on SIGTERM
//   gokit_etcdv3 discover ENDPOINTS PREFIX COUNT TIMEOUT  # prints the instances once COUNT are seen
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.etcd.io/etcd/clientv3"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 6 {
		fail("usage: gokit_etcdv3 register|discover ENDPOINTS PREFIX ARG ARG")
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: strings.Split(os.Args[2], ","), DialTimeout: 5 * time.Second})
	if err != nil {
		fail("connect: %v", err)
	}
	defer cli.Close()
	prefix := os.Args[3]
	switch os.Args[1] {
	case "register":
		register(cli, prefix, os.Args[4], os.Args[5])
	case "discover":
		discover(cli, prefix, os.Args[4], os.Args[5])
	default:
		fail("unknown command %s", os.Args[1])
	}
}

// go-kit: Register grants a lease of TTL, puts Key=prefix+instance Value=instance with it, keeps it alive;
// Deregister deletes the key and revokes the lease.
func register(cli *clientv3.Client, prefix, instance, ttlArg string) {
	ttl, _ := strconv.Atoi(ttlArg)
	ctx := context.Background()
	lease, err := cli.Grant(ctx, int64(ttl))
	if err != nil {
		fail("grant: %v", err)
	}
	key := prefix + instance
	if _, err := cli.Put(ctx, key, instance, clientv3.WithLease(lease.ID)); err != nil {
		fail("put: %v", err)
	}
	if _, err := cli.KeepAlive(ctx, lease.ID); err != nil {
		fail("keepalive: %v", err)
	}
	fmt.Println("registered")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	cli.Delete(ctx, key)
	cli.Revoke(ctx, lease.ID)
	fmt.Println("deregistered")
}

// go-kit: the Instancer reads GetEntries(prefix) (the values) and re-reads on every watch event.
func discover(cli *clientv3.Client, prefix, countArg, timeoutArg string) {
	want, _ := strconv.Atoi(countArg)
	timeout, _ := time.ParseDuration(timeoutArg)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	watch := cli.Watch(ctx, prefix, clientv3.WithPrefix())
	for {
		resp, err := cli.Get(ctx, prefix, clientv3.WithPrefix())
		if err != nil {
			fail("get: %v", err)
		}
		var entries []string
		for _, kv := range resp.Kvs {
			entries = append(entries, string(kv.Value))
		}
		if len(entries) == want {
			sort.Strings(entries)
			for _, e := range entries {
				fmt.Println(e)
			}
			return
		}
		select {
		case <-watch:
		case <-ctx.Done():
			fail("saw %d instances, wanted %d", len(entries), want)
		}
	}
}
