# esc — one Makefile: make, make check, make demo, make bench, make install.
.POSIX:

VERSION   = 0.1.0
PREFIX    = /usr/local
BINDIR    = $(PREFIX)/bin
SHAREDIR  = $(PREFIX)/share/esc
MANDIR    = $(PREFIX)/share/man

CC        = cc
CXX       = c++
OPT       = -O3
CFLAGS    = $(OPT) -g -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter
CXXFLAGS  = $(OPT) -g -std=c++17 -Wall -Wextra -Wshadow -Wno-unused-parameter
CPPFLAGS  = -D_GNU_SOURCE -DESC_VERSION=\"$(VERSION)\" \
            -DESC_SHAREDIR=\"$(SHAREDIR)\" -Ilib
LDLIBS    = -lsimdjson -lstdc++ -lyajl -ljansson -lsqlite3 -lcurl -lm

TOOLS     = esc-detect esc-offer esc-log esc-stats crm-track upsell-gen survey-send
LIBOBJ    = lib/buf.o lib/diag.o lib/loop.o lib/scan.o lib/fastjson.o lib/splice.o lib/timefmt.o \
            lib/share.o lib/jtext.o lib/vocab.o lib/phrases.o lib/text.o lib/sentiment.o \
            lib/negate.o lib/detect.o lib/formats.o lib/offer.o lib/opts.o lib/fields.o \
            lib/store.o lib/sla.o lib/hours.o lib/touches.o lib/log.o lib/logq.o lib/stats.o lib/sections.o lib/alerts.o \
            lib/report.o lib/html.o \
            $(LIBOBJ_NET) $(LIBOBJ_CRM) $(LIBOBJ_RECS) $(LIBOBJ_OPPS) $(LIBOBJ_SURVEY)
# outbound calls and tokens; crm-track; upsell recommendations and their
# reports; usage-alert opportunities; survey-send and its reports
LIBOBJ_NET  = lib/net.o lib/token.o
LIBOBJ_CRM  = lib/crm.o lib/contacts.o lib/forget.o lib/batch.o
LIBOBJ_RECS = lib/recs.o lib/crmstats.o
LIBOBJ_OPPS = lib/opps.o lib/oppalert.o lib/oppevent.o lib/oppsend.o lib/plan.o
LIBOBJ_SURVEY = lib/survcfg.o lib/survstore.o lib/survey.o lib/survdue.o lib/channels.o \
            lib/answers.o lib/problems.o lib/handover.o lib/survstats.o
BINS      = $(TOOLS:%=bin/%)
UNITS     = tests/unit/test-sentiment tests/unit/test-detect tests/unit/test-time tests/unit/test-offer \
            tests/unit/test-sla tests/unit/test-stats tests/unit/test-token \
            tests/unit/test-problems tests/unit/test-negate tests/unit/test-text
# programs the shell tests drive (built, not run by prove)
TESTBINS  = tests/unit/net-call tests/unit/channel-send

all: $(BINS)

libesc.a: $(LIBOBJ)
	rm -f $@
	ar rcs $@ $(LIBOBJ)

$(LIBOBJ): lib/esc.h lib/score.h
lib/scan.o lib/fastjson.o: lib/fastjson.h
lib/vocab.o lib/text.o: lib/vocab.h
lib/offer.o cmd/esc-offer.o: lib/offer.h
lib/store.o lib/sla.o lib/hours.o lib/touches.o lib/log.o lib/logq.o cmd/esc-log.o: lib/store.h
lib/stats.o lib/sections.o lib/alerts.o lib/report.o lib/html.o cmd/esc-stats.o: lib/store.h lib/stats.h lib/stats-int.h
$(LIBOBJ_NET): lib/net.h
$(LIBOBJ_CRM) cmd/crm-track.o: lib/store.h lib/crm.h lib/stats.h
lib/crm.o lib/recs.o lib/batch.o: lib/batch.h
$(LIBOBJ_RECS): lib/store.h lib/upsell.h lib/stats.h lib/stats-int.h
$(LIBOBJ_OPPS) cmd/upsell-gen.o: lib/store.h lib/upsell.h lib/opps.h lib/net.h
$(LIBOBJ_SURVEY) cmd/survey-send.o: lib/store.h lib/survey.h lib/hours.h lib/net.h lib/crm.h lib/stats.h
lib/survstore.o lib/survey.o lib/survdue.o lib/answers.o lib/problems.o lib/handover.o: \
            lib/survey-int.h
lib/survstats.o: lib/stats-int.h
lib/opps.o lib/oppalert.o lib/oppevent.o lib/oppsend.o: lib/opps-int.h
lib/hours.o: lib/hours.h lib/crm.h

bin/%: cmd/%.o libesc.a
	@mkdir -p bin
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< libesc.a $(LDLIBS)

cmd/%.o: cmd/%.c lib/esc.h lib/score.h lib/offer.h lib/store.h lib/stats.h
	$(CC) $(CFLAGS) $(CPPFLAGS) -c -o $@ $<

.c.o:
	$(CC) $(CFLAGS) $(CPPFLAGS) -c -o $@ $<

# the one C++ file: simdjson's C++ interface behind a C one (fastjson.h)
lib/fastjson.o: lib/fastjson.cc
	$(CXX) $(CXXFLAGS) $(CPPFLAGS) -c -o $@ lib/fastjson.cc

tests/unit/%: tests/unit/%.c tests/unit/tap.h libesc.a
	$(CC) $(CFLAGS) $(CPPFLAGS) -o $@ $< libesc.a $(LDLIBS)

# The suite: C unit tests and the shell tests, all TAP, run by prove, as
# many at once as there are processors (each test has its own directory).
JOBS ?= $(shell getconf _NPROCESSORS_ONLN 2> /dev/null || echo 1)
PROVE = prove -f -j$(JOBS)

check: deps all $(UNITS) $(TESTBINS)
	ESC_SHARE=$(CURDIR)/share/esc $(PROVE) $(UNITS) tests/*.t

# The same suite under AddressSanitizer and UndefinedBehaviorSanitizer, in its own tree.
check-asan:
	rm -rf build-asan && mkdir -p build-asan
	cp -R Makefile cmd lib man share tests scripts build-asan/
	$(MAKE) -C build-asan clean
	$(MAKE) -C build-asan OPT="-O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
		LDFLAGS="-fsanitize=address,undefined" check
	rm -rf build-asan

# The same suite with every tool run under valgrind (see tests/lib.sh).
check-valgrind: all $(UNITS) $(TESTBINS)
	ESC_SHARE=$(CURDIR)/share/esc ESC_VALGRIND=1 $(PROVE) tests/*.t

deps:
	@scripts/deps check

deps-build:
	@scripts/deps build

demo: deps-build
	@$(MAKE) --no-print-directory all
	@scripts/demo

bench: all
	scripts/bench

install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(SHAREDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7
	cp $(BINS) $(DESTDIR)$(BINDIR)/
	cp -R share/esc/. $(DESTDIR)$(SHAREDIR)/
	cp man/*.1 $(DESTDIR)$(MANDIR)/man1/
	cp man/*.5 $(DESTDIR)$(MANDIR)/man5/
	cp man/*.7 $(DESTDIR)$(MANDIR)/man7/

uninstall:
	for t in $(TOOLS); do rm -f $(DESTDIR)$(BINDIR)/$$t $(DESTDIR)$(MANDIR)/man1/$$t.1; done
	rm -rf $(DESTDIR)$(SHAREDIR)
	rm -f $(DESTDIR)$(MANDIR)/man5/esc-json.5 $(DESTDIR)$(MANDIR)/man7/esc.7

clean:
	rm -f lib/*.o cmd/*.o libesc.a $(BINS) $(UNITS) $(TESTBINS)
	rm -rf tests/tmp.*

.PHONY: all check check-asan check-valgrind deps deps-build demo bench install uninstall clean
