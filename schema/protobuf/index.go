package protobuf

import (
	"fmt"
	"slices"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// MessageByIndexes returns the message a Confluent message-index path
// designates in fd: indexes[0] counts fd's top-level messages, each next
// index the messages nested in the previous one, in declaration order and
// skipping map entries. An empty path means [0].
func MessageByIndexes(fd protoreflect.FileDescriptor, indexes []int) (protoreflect.MessageDescriptor, error) {
	if len(indexes) == 0 {
		indexes = defaultIndexes
	}
	var md protoreflect.MessageDescriptor
	msgs := fd.Messages()
	for depth, i := range indexes {
		if md = nthMessage(msgs, i); md == nil {
			// A copy, so that indexes does not escape: callers pass slices
			// they reuse per record.
			return nil, fmt.Errorf("%w at index path %v in %s (no message %d at depth %d)",
				ErrNoMessage, slices.Clone(indexes), fd.Path(), i, depth)
		}
		msgs = md.Messages()
	}
	return md, nil
}

var defaultIndexes = []int{0}

// nthMessage is the i-th message of msgs that is not a map entry, or nil.
func nthMessage(msgs protoreflect.MessageDescriptors, i int) protoreflect.MessageDescriptor {
	if i < 0 {
		return nil
	}
	for j := 0; j < msgs.Len(); j++ {
		md := msgs.Get(j)
		if md.IsMapEntry() {
			continue
		}
		if i == 0 {
			return md
		}
		i--
	}
	return nil
}

// IndexesOf returns md's Confluent message-index path within its file: the
// inverse of MessageByIndexes. It returns nil for a map entry, which no path
// designates.
func IndexesOf(md protoreflect.MessageDescriptor) []int {
	var path []int
	for {
		if md.IsMapEntry() {
			return nil
		}
		path = append(path, indexAmong(md))
		parent, ok := md.Parent().(protoreflect.MessageDescriptor)
		if !ok {
			break
		}
		md = parent
	}
	slices.Reverse(path)
	return path
}

// indexAmong is md's position among its siblings, map entries skipped.
func indexAmong(md protoreflect.MessageDescriptor) int {
	var sibs protoreflect.MessageDescriptors
	switch p := md.Parent().(type) {
	case protoreflect.MessageDescriptor:
		sibs = p.Messages()
	case protoreflect.FileDescriptor:
		sibs = p.Messages()
	}
	n := 0
	for j := 0; j < md.Index(); j++ {
		if !sibs.Get(j).IsMapEntry() {
			n++
		}
	}
	return n
}

// FirstMessage returns fd's first top-level message, the one a path of [0]
// (or an empty path) designates.
func FirstMessage(fd protoreflect.FileDescriptor) (protoreflect.MessageDescriptor, error) {
	return MessageByIndexes(fd, nil)
}

// MessageByName returns the message of fd (top-level or nested) with the
// given full name, e.g. "bufstream.demo.v1.Cart", or with that name relative
// to fd's package ("Cart", "Outer.Inner").
func MessageByName(fd protoreflect.FileDescriptor, name string) (protoreflect.MessageDescriptor, error) {
	full := protoreflect.FullName(name)
	if pkg := fd.Package(); pkg != "" && !hasPrefixName(full, pkg) {
		full = pkg + "." + full
	}
	if md := findMessage(fd.Messages(), full); md != nil {
		return md, nil
	}
	return nil, fmt.Errorf("%w named %q in %s", ErrNoMessage, name, fd.Path())
}

func hasPrefixName(n, pkg protoreflect.FullName) bool {
	return len(n) > len(pkg) && n[:len(pkg)] == pkg && n[len(pkg)] == '.'
}

func findMessage(msgs protoreflect.MessageDescriptors, full protoreflect.FullName) protoreflect.MessageDescriptor {
	for i := 0; i < msgs.Len(); i++ {
		md := msgs.Get(i)
		if md.FullName() == full {
			return md
		}
		if hasPrefixName(full, md.FullName()) {
			return findMessage(md.Messages(), full)
		}
	}
	return nil
}
