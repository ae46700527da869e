// gokit_grpc is a go-kit gRPC client and server (go-kit v0.10's transport/grpc on grpc-go), the Go side of
// tests/transport/grpc_wire_gokit_test.cpp: it calls svckit's own gRPC wire, and svckit's own wire client
// calls it.
//
//	gokit_grpc client ADDR WATCHING_FILE  # checks against an svckit wire server; one line each, "name: ok"
//	gokit_grpc serve                      # serves greeter.Greeter on 127.0.0.1:0, prints "listening PORT"
//
// The client's health Watch waits for SERVING, creates WATCHING_FILE (the test flips the server to
// NOT_SERVING then), and waits for NOT_SERVING. Messages are protobuf's StringValue (field 1, a string):
// the same bytes as greeter's HelloRequest and HelloReply, so no generated code is needed.
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	grpctransport "github.com/go-kit/kit/transport/grpc"
	"github.com/golang/protobuf/ptypes/wrappers"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(2)
}

func main() {
	switch {
	case len(os.Args) == 4 && os.Args[1] == "client":
		os.Exit(client(os.Args[2], os.Args[3]))
	case len(os.Args) == 2 && os.Args[1] == "serve":
		serve()
	default:
		fail("usage: gokit_grpc client ADDR WATCHING_FILE | gokit_grpc serve")
	}
}

// go-kit's request and reply codecs: the endpoint speaks strings, the wire StringValue.
func encodeString(_ context.Context, req interface{}) (interface{}, error) {
	return &wrappers.StringValue{Value: req.(string)}, nil
}
func decodeString(_ context.Context, reply interface{}) (interface{}, error) {
	return reply.(*wrappers.StringValue).Value, nil
}

func client(addr, watchingFile string) int {
	conn, err := grpc.Dial(addr, grpc.WithInsecure(), grpc.WithBlock(), grpc.WithTimeout(10*time.Second))
	if err != nil {
		fail("dial %s: %v", addr, err)
	}
	defer conn.Close()
	sayHello := grpctransport.NewClient(conn, "greeter.Greeter", "SayHello", encodeString, decodeString, wrappers.StringValue{},
		grpctransport.ClientBefore(grpctransport.SetRequestHeader("x-tag", "go"))).Endpoint()
	later := grpctransport.NewClient(conn, "greeter.Greeter", "Later", encodeString, decodeString, wrappers.StringValue{}).Endpoint()
	failed := 0
	check := func(name string, fn func() string) {
		problem := fn()
		if problem == "" {
			problem = "ok"
		} else {
			failed++
		}
		fmt.Printf("%s: %s\n", name, problem)
	}
	timeout := func(d time.Duration) (context.Context, context.CancelFunc) { return context.WithTimeout(context.Background(), d) }
	wantCode := func(err error, code codes.Code, message string) string {
		st, _ := status.FromError(err)
		if st.Code() != code || (message != "" && st.Message() != message) {
			return fmt.Sprintf("%v %q, want %v", st.Code(), st.Message(), code)
		}
		return ""
	}

	check("unary", func() string {
		ctx, cancel := timeout(10 * time.Second)
		defer cancel()
		reply, err := sayHello(ctx, "gokit")
		if err != nil {
			return err.Error()
		}
		if reply.(string) != "hello gokit (5 bytes)" {
			return fmt.Sprintf("reply %q", reply)
		}
		return ""
	})
	check("error", func() string {
		ctx, cancel := timeout(10 * time.Second)
		defer cancel()
		_, err := sayHello(ctx, "")
		return wantCode(err, codes.InvalidArgument, "name is empty: ünïcode % kept")
	})
	check("deadline", func() string {
		ctx, cancel := timeout(300 * time.Millisecond)
		defer cancel()
		_, err := later(ctx, "60000")
		return wantCode(err, codes.DeadlineExceeded, "")
	})
	check("stream", func() string {
		ctx, cancel := timeout(10 * time.Second)
		defer cancel()
		desc := &grpc.StreamDesc{StreamName: "Count", ServerStreams: true}
		s, err := conn.NewStream(ctx, desc, "/test.Stream/Count")
		if err != nil {
			return err.Error()
		}
		if err := s.SendMsg(&wrappers.StringValue{Value: "30 1000"}); err != nil {
			return err.Error()
		}
		s.CloseSend()
		for i := 0; ; i++ {
			m := new(wrappers.StringValue)
			err := s.RecvMsg(m)
			if err == io.EOF {
				if i != 30 {
					return fmt.Sprintf("%d messages, want 30", i)
				}
				return ""
			}
			if err != nil {
				return err.Error()
			}
			if !strings.HasPrefix(m.Value, strconv.Itoa(i)+":") || len(m.Value) != len(strconv.Itoa(i))+1+1000 {
				return fmt.Sprintf("message %d is %.20q", i, m.Value)
			}
		}
	})
	health := grpc_health_v1.NewHealthClient(conn)
	check("health check", func() string {
		ctx, cancel := timeout(10 * time.Second)
		defer cancel()
		r, err := health.Check(ctx, &grpc_health_v1.HealthCheckRequest{})
		if err != nil {
			return err.Error()
		}
		if r.Status != grpc_health_v1.HealthCheckResponse_SERVING {
			return r.Status.String()
		}
		return ""
	})
	check("health watch", func() string {
		ctx, cancel := timeout(30 * time.Second)
		defer cancel()
		w, err := health.Watch(ctx, &grpc_health_v1.HealthCheckRequest{})
		if err != nil {
			return err.Error()
		}
		var seen []string
		for {
			r, err := w.Recv()
			if err != nil {
				return fmt.Sprintf("%v after %v", err, seen)
			}
			seen = append(seen, r.Status.String())
			if len(seen) == 1 {
				f, err := os.Create(watchingFile)
				if err != nil {
					return err.Error()
				}
				f.Close()
			}
			if r.Status == grpc_health_v1.HealthCheckResponse_NOT_SERVING {
				break
			}
		}
		if strings.Join(seen, ",") != "SERVING,NOT_SERVING" {
			return fmt.Sprintf("saw %v", seen)
		}
		return ""
	})
	if failed > 0 {
		return 1
	}
	return 0
}

// greeter.Greeter as a go-kit service: SayHello answers "hello NAME from go-kit" with the request's x-tag,
// Later waits NAME milliseconds unless its call is cancelled first.
type greeterServer interface {
	SayHello(context.Context, *wrappers.StringValue) (*wrappers.StringValue, error)
	Later(context.Context, *wrappers.StringValue) (*wrappers.StringValue, error)
}

type server struct{ sayHello, later grpctransport.Handler }

func (s *server) SayHello(ctx context.Context, req *wrappers.StringValue) (*wrappers.StringValue, error) {
	_, reply, err := s.sayHello.ServeGRPC(ctx, req)
	if err != nil {
		return nil, err
	}
	return reply.(*wrappers.StringValue), nil
}

func (s *server) Later(ctx context.Context, req *wrappers.StringValue) (*wrappers.StringValue, error) {
	_, reply, err := s.later.ServeGRPC(ctx, req)
	if err != nil {
		return nil, err
	}
	return reply.(*wrappers.StringValue), nil
}

func unaryMethod(name string, call func(greeterServer, context.Context, *wrappers.StringValue) (*wrappers.StringValue, error)) grpc.MethodDesc {
	return grpc.MethodDesc{MethodName: name, Handler: func(srv interface{}, ctx context.Context, dec func(interface{}) error, _ grpc.UnaryServerInterceptor) (interface{}, error) {
		in := new(wrappers.StringValue)
		if err := dec(in); err != nil {
			return nil, err
		}
		return call(srv.(greeterServer), ctx, in)
	}}
}

func serve() {
	decode := func(_ context.Context, req interface{}) (interface{}, error) { return req.(*wrappers.StringValue).Value, nil }
	encode := func(_ context.Context, reply interface{}) (interface{}, error) {
		return &wrappers.StringValue{Value: reply.(string)}, nil
	}
	sayHello := func(ctx context.Context, req interface{}) (interface{}, error) {
		name := req.(string)
		if name == "" {
			return nil, status.Error(codes.InvalidArgument, "name is empty")
		}
		tag := ""
		if md, ok := metadata.FromIncomingContext(ctx); ok && len(md.Get("x-tag")) > 0 {
			tag = md.Get("x-tag")[0]
		}
		return "hello " + name + " from go-kit, tag " + tag, nil
	}
	later := func(ctx context.Context, req interface{}) (interface{}, error) {
		ms, _ := strconv.Atoi(req.(string))
		select {
		case <-time.After(time.Duration(ms) * time.Millisecond):
			return "later", nil
		case <-ctx.Done():
			fmt.Println("cancelled")
			return nil, status.FromContextError(ctx.Err()).Err()
		}
	}
	impl := &server{grpctransport.NewServer(sayHello, decode, encode), grpctransport.NewServer(later, decode, encode)}
	desc := grpc.ServiceDesc{
		ServiceName: "greeter.Greeter",
		HandlerType: (*greeterServer)(nil),
		Methods: []grpc.MethodDesc{
			unaryMethod("SayHello", greeterServer.SayHello),
			unaryMethod("Later", greeterServer.Later),
		},
		Metadata: "greeter.proto",
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail("listen: %v", err)
	}
	s := grpc.NewServer()
	s.RegisterService(&desc, impl)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-stop
		s.GracefulStop()
	}()
	fmt.Printf("listening %d\n", lis.Addr().(*net.TCPAddr).Port)
	if err := s.Serve(lis); err != nil {
		fail("serve: %v", err)
	}
}
