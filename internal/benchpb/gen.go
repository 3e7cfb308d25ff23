//go:build ignore

// gen writes bench.pb.go, the generated Go code for bench.proto that the
// benchmarks unmarshal as the baseline. There is no protoc
// on the build machines, so it compiles the file with protocompile and
// runs protoc-gen-go's generator (internal_gengo, importable by design)
// as a library on the result.
//
//	go generate ./internal/benchpb
package main

import (
	"context"
	"io"
	"log"
	"os"
	"path/filepath"

	"github.com/bufbuild/protocompile"
	gengo "google.golang.org/protobuf/cmd/protoc-gen-go/internal_gengo"
	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/pluginpb"
)

// name is the file's path in the protobuf registry: distinct from other
// bench.proto files a binary might link.
const name = "tributary/bench/v1/bench.proto"

func main() {
	comp := protocompile.Compiler{Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{
		Accessor: func(path string) (io.ReadCloser, error) {
			if path == name {
				path = "bench.proto"
			}
			return os.Open(path)
		},
	})}
	files, err := comp.Compile(context.Background(), name)
	if err != nil {
		log.Fatal(err)
	}
	req := &pluginpb.CodeGeneratorRequest{
		FileToGenerate: []string{name},
		Parameter:      proto.String("paths=import"),
		ProtoFile: []*descriptorpb.FileDescriptorProto{
			protodesc.ToFileDescriptorProto(timestamppb.File_google_protobuf_timestamp_proto),
			protodesc.ToFileDescriptorProto(files[0]),
		},
	}
	gen, err := protogen.Options{}.New(req)
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range gen.Files {
		if f.Generate {
			gengo.GenerateFile(gen, f)
		}
	}
	gen.SupportedFeatures = gengo.SupportedFeatures
	resp := gen.Response()
	if resp.Error != nil {
		log.Fatal(resp.GetError())
	}
	for _, f := range resp.File {
		if err := os.WriteFile(filepath.Base(f.GetName()), []byte(f.GetContent()), 0o644); err != nil {
			log.Fatal(err)
		}
		log.Printf("wrote %s", filepath.Base(f.GetName()))
	}
}
