// fastjson.cc — validate a JSON line with simdjson and list the members of
// its top-level object. simdjson checks the whole line (structure, strings,
// numbers, UTF-8) at a few GB/s, where a byte-at-a-time parser manages a
// few hundred MB/s: the difference between scoring at disk speed and not.
// Only C++ in esc; everything else reaches it through fastjson.h.
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include <simdjson.h>

#include "fastjson.h"

using namespace simdjson;

struct esc_fast {
	dom::parser parser;
	std::vector<char> pad;               // the line, with simdjson's padding
	std::vector<esc_fast_member> members;
};

extern "C" struct esc_fast *
esc_fast_new(void)
{
	struct esc_fast *f = new (std::nothrow) esc_fast;

	if (f && f->parser.allocate(4096) != SUCCESS) {
		delete f;
		f = nullptr;
	}
	return f;
}

extern "C" void
esc_fast_free(struct esc_fast *f)
{
	delete f;
}

static enum esc_fast_type
kind(dom::element e)
{
	switch (e.type()) {
	case dom::element_type::OBJECT: return ESC_FAST_OBJECT;
	case dom::element_type::ARRAY: return ESC_FAST_ARRAY;
	case dom::element_type::INT64: return ESC_FAST_INT;
	case dom::element_type::UINT64: return ESC_FAST_UINT;
	case dom::element_type::DOUBLE: return ESC_FAST_DOUBLE;
	case dom::element_type::STRING: return ESC_FAST_STRING;
	case dom::element_type::BOOL: return e.get_bool().value_unsafe() ? ESC_FAST_TRUE : ESC_FAST_FALSE;
	default: return ESC_FAST_NULL;
	}
}

static esc_fast_member
member(int depth, const char *key, size_t klen, dom::element v)
{
	esc_fast_member x{};

	x.depth = depth;
	x.key = key;
	x.klen = klen;
	x.t = kind(v);
	switch (x.t) {
	case ESC_FAST_STRING: {
		std::string_view s = v.get_string().value_unsafe();

		x.s = s.data();
		x.n = s.size();
		break;
	}
	case ESC_FAST_INT: x.i = v.get_int64().value_unsafe(); break;
	case ESC_FAST_UINT: x.u = v.get_uint64().value_unsafe(); break;
	case ESC_FAST_DOUBLE: x.d = v.get_double().value_unsafe(); break;
	default: break;
	}
	return x;
}

// The values inside container c (at depth - 1), each before what it holds.
static void
walk(std::vector<esc_fast_member> &out, dom::element c, int depth, int maxdepth)
{
	dom::object o;
	dom::array a;

	if (c.get_object().get(o) == SUCCESS) {
		for (dom::key_value_pair kv : o) {
			out.push_back(member(depth, kv.key.data(), kv.key.size(), kv.value));
			if (depth < maxdepth)
				walk(out, kv.value, depth + 1, maxdepth);
		}
	} else if (c.get_array().get(a) == SUCCESS) {
		for (dom::element e : a) {
			out.push_back(member(depth, nullptr, 0, e));
			if (depth < maxdepth)
				walk(out, e, depth + 1, maxdepth);
		}
	}
}

extern "C" int
esc_fast_object(struct esc_fast *f, const char *line, size_t len, int maxdepth,
	const struct esc_fast_member **m, size_t *count)
{
	dom::element root;

	if (len > ESC_FAST_MAX)
		return 0;
	try {
		if (f->pad.size() < len + SIMDJSON_PADDING)
			f->pad.resize(len + SIMDJSON_PADDING);
		memcpy(f->pad.data(), line, len);
		if (f->parser.parse(f->pad.data(), len, false).get(root) != SUCCESS ||
		    root.type() != dom::element_type::OBJECT)
			return 0;
		f->members.clear();
		walk(f->members, root, 1, maxdepth < 1 ? 1 : maxdepth);
	} catch (const std::bad_alloc &) {
		return -1;
	}
	*m = f->members.data();
	*count = f->members.size();
	return 1;
}
