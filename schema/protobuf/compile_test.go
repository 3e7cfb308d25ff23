package protobuf

import (
	"context"
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func TestCompileWithReferences(t *testing.T) {
	// order.proto → shop/line.proto → shop/money.proto, plus the
	// well-known types and protovalidate's rules, which nobody registers.
	refs := map[string]string{
		"shop/line.proto": `syntax = "proto3";
package shop.common;
import "shop/money.proto";
import "buf/validate/validate.proto";
message Line { string sku = 1 [(buf.validate.field).string.min_len = 1]; Money price = 2; }`,
		"shop/money.proto": `syntax = "proto3";
package shop.common;
message Money { string currency = 1; int64 units = 2; }`,
	}
	var asked []string
	imports := func(path string) (string, error) {
		asked = append(asked, path)
		return MapImports(refs)(path)
	}
	fd, err := Compile(context.Background(), "orders/order.proto", `syntax = "proto3";
package shop.orders;
import "shop/line.proto";
import "google/protobuf/timestamp.proto";
message Order { repeated shop.common.Line lines = 1; google.protobuf.Timestamp at = 2; }`, imports)
	if err != nil {
		t.Fatal(err)
	}
	if fd.Path() != "orders/order.proto" {
		t.Errorf("path %q", fd.Path())
	}
	order := fd.Messages().ByName("Order")
	price := fieldOf(fieldOf(order, "lines").Message(), "price")
	if price.Message().FullName() != "shop.common.Money" {
		t.Errorf("lines.price is %v", price.Message().FullName())
	}
	// The well-known types are the linked ones, shared by every schema.
	if at := fieldOf(order, "at").Message(); at != (&timestamppb.Timestamp{}).ProtoReflect().Descriptor() {
		t.Errorf("Timestamp is not the linked descriptor: %v", at.ParentFile().Path())
	}
	if strings.Join(asked, ",") != "shop/line.proto,shop/money.proto" {
		t.Errorf("imports asked for %v", asked)
	}
}

func TestCompileWithoutImports(t *testing.T) {
	fd, err := Compile(context.Background(), "", p3+"message A { int32 a = 1; }", nil)
	if err != nil || fd.Path() != DefaultPath {
		t.Fatalf("%v, %v", fd, err)
	}
}

func TestCompileErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string // substrings of Error()
	}{
		{"syntax", "syntax = \"proto3\";\nmessage A {\n  int32 a = 1\n}\n",
			[]string{"schema.proto:4:1: syntax error: expecting ';'"}},
		{"unknown type", "syntax = \"proto3\";\nmessage A {\n  Missing m = 1;\n}\n",
			[]string{"schema.proto:3:3:", "Missing"}},
		{"two problems", "syntax = \"proto3\";\nmessage A {\n  Missing m = 1;\n  Absent n = 2;\n}\n",
			[]string{"schema.proto:3:3:", "; schema.proto:4:3:"}},
		{"duplicate number", "syntax = \"proto3\";\nmessage A {\n  int32 a = 1;\n  int32 b = 1;\n}\n",
			[]string{"schema.proto:4:13:", "same tag 1"}},
		{"missing import", "syntax = \"proto3\";\nimport \"nope.proto\";\n",
			[]string{"schema.proto:2:8:", `"nope.proto"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile(context.Background(), "", tc.src, nil)
			var ce *CompileError
			if !errors.As(err, &ce) || !errors.Is(err, ErrInvalidSchema) || len(ce.Problems) == 0 {
				t.Fatalf("Compile = %v (%T), want a CompileError", err, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if p := ce.Problems[0]; p.File != DefaultPath || p.Line == 0 || p.Col == 0 || p.Message == "" {
				t.Errorf("first problem %+v", p)
			}
		})
	}
}

func TestCompileImportFailure(t *testing.T) {
	down := errors.New("metadata store unavailable")
	_, err := Compile(context.Background(), "", p3+"import \"dep.proto\";\n", func(string) (string, error) {
		return "", down
	})
	if !errors.Is(err, down) || errors.Is(err, ErrInvalidSchema) {
		t.Errorf("Compile = %v, want the import failure, not a schema error", err)
	}
	// A reference that does not compile is the schema's problem.
	_, err = Compile(context.Background(), "", p3+"import \"dep.proto\";\n", MapImports(map[string]string{"dep.proto": "syntax = \"proto3\";\nmessage {"}))
	if !errors.Is(err, ErrInvalidSchema) || !strings.Contains(err.Error(), "dep.proto:2:") {
		t.Errorf("Compile = %v, want a CompileError in dep.proto", err)
	}
}

func TestCompileCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Compile(ctx, "", p3+"message A {}", nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Compile = %v", err)
	}
}

func TestBuiltinImports(t *testing.T) {
	src := p3 + `import "confluent/meta.proto";
import "confluent/type/decimal.proto";
message Price {
  option (confluent.message_meta).doc = "a price";
  confluent.type.Decimal amount = 1 [(confluent.field_meta).params = {key: "precision", value: "10"}];
}`
	fd := mustCompile(t, src, nil)
	amount := fieldOf(fd.Messages().Get(0), "amount")
	if amount.Message().FullName() != "confluent.type.Decimal" {
		t.Errorf("amount is %v", amount.Message().FullName())
	}
	// A reference of the same name replaces the built-in Confluent file...
	own := mustCompile(t, p3+"import \"confluent/type/decimal.proto\";\nmessage P { confluent.type.Decimal d = 1; }",
		map[string]string{"confluent/type/decimal.proto": "syntax = \"proto3\";\npackage confluent.type;\nmessage Decimal { string text = 1; }"})
	if d := fieldOf(own.Messages().Get(0), "d").Message(); d.Fields().ByName("text") == nil {
		t.Error("the reference did not replace the built-in decimal.proto")
	}
	// ...but never a well-known type or protovalidate's rules.
	fd = mustCompile(t, p3+"import \"google/protobuf/timestamp.proto\";\nmessage T { google.protobuf.Timestamp at = 1; }",
		map[string]string{"google/protobuf/timestamp.proto": "syntax = \"proto3\";\npackage google.protobuf;\nmessage Timestamp { string iso = 1; }"})
	if at := fieldOf(fd.Messages().Get(0), "at").Message(); at.Fields().ByName("seconds") == nil {
		t.Error("a reference replaced google/protobuf/timestamp.proto")
	}
}

func TestEditions(t *testing.T) {
	fd := mustCompile(t, "edition = \"2023\";\npackage e;\nmessage A { int32 a = 1; }", nil)
	if fd.Syntax() != protoreflect.Editions {
		t.Errorf("syntax %v", fd.Syntax())
	}
}
