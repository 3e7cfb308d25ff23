package broker

import "reflect"

// forEachErrorCode calls fn for every non-zero ErrorCode field anywhere in a
// response, for the errors-by-code metric. Reflection keeps this one
// function instead of one walker per API; record bytes ([]byte) are skipped.
func forEachErrorCode(resp any, fn func(int16)) {
	walkErrorCodes(reflect.ValueOf(resp), fn)
}

func walkErrorCodes(v reflect.Value, fn func(int16)) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			walkErrorCodes(v.Elem(), fn)
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < v.NumField(); i++ {
			f := v.Field(i)
			if t.Field(i).Name == "ErrorCode" && f.Kind() == reflect.Int16 {
				if c := int16(f.Int()); c != 0 {
					fn(c)
				}
				continue
			}
			if f.Kind() == reflect.Slice || f.Kind() == reflect.Struct || f.Kind() == reflect.Pointer {
				walkErrorCodes(f, fn)
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return
		}
		for i := 0; i < v.Len(); i++ {
			walkErrorCodes(v.Index(i), fn)
		}
	}
}
