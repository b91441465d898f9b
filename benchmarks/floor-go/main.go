// A do-nothing Envoy ext_proc server (go-control-plane + grpc-go): every phase is answered with
// an empty response of its kind. It is the floor every Go ext_proc server starts from, used by
// benchmarks/overhead.ts as a reference arm. Prints {"port":N} once listening.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"

	extproc "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"google.golang.org/grpc"
)

type passThrough struct {
	extproc.UnimplementedExternalProcessorServer
}

func (passThrough) Process(stream extproc.ExternalProcessor_ProcessServer) error {
	for {
		req, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		var resp *extproc.ProcessingResponse
		switch req.Request.(type) {
		case *extproc.ProcessingRequest_RequestHeaders:
			resp = &extproc.ProcessingResponse{Response: &extproc.ProcessingResponse_RequestHeaders{RequestHeaders: &extproc.HeadersResponse{}}}
		case *extproc.ProcessingRequest_ResponseHeaders:
			resp = &extproc.ProcessingResponse{Response: &extproc.ProcessingResponse_ResponseHeaders{ResponseHeaders: &extproc.HeadersResponse{}}}
		case *extproc.ProcessingRequest_RequestBody:
			resp = &extproc.ProcessingResponse{Response: &extproc.ProcessingResponse_RequestBody{RequestBody: &extproc.BodyResponse{}}}
		case *extproc.ProcessingRequest_ResponseBody:
			resp = &extproc.ProcessingResponse{Response: &extproc.ProcessingResponse_ResponseBody{ResponseBody: &extproc.BodyResponse{}}}
		case *extproc.ProcessingRequest_RequestTrailers:
			resp = &extproc.ProcessingResponse{Response: &extproc.ProcessingResponse_RequestTrailers{RequestTrailers: &extproc.TrailersResponse{}}}
		case *extproc.ProcessingRequest_ResponseTrailers:
			resp = &extproc.ProcessingResponse{Response: &extproc.ProcessingResponse_ResponseTrailers{ResponseTrailers: &extproc.TrailersResponse{}}}
		default:
			continue
		}
		if err := stream.Send(resp); err != nil {
			return err
		}
	}
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	flag.Parse()
	lis, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("{\"port\":%d}\n", lis.Addr().(*net.TCPAddr).Port)
	s := grpc.NewServer()
	extproc.RegisterExternalProcessorServer(s, passThrough{})
	log.Fatal(s.Serve(lis))
}
