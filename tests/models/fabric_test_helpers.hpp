// Hand-wired fabrics and test nodes for the models tests (and tests/models/cc/): a star, a
// dumbbell and a 2-tier leaf-spine built through the Fabric API, an observer that records
// message completions, test nodes (a sink, a relay that can drop or mark packets) and a lone
// switch between two sinks. Not a topology builder: topologies/ does that.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <utility>
#include <vector>

#include "models/fabric.hpp"

namespace fabricsim::test {

using models::EndpointId;
using models::Fabric;
using models::LinkParams;
using models::NicParams;
using models::NodeRef;
using models::SwitchParams;

inline NicParams nic_without_cc() {
  NicParams p;
  p.cc.algorithm = models::CcAlgorithm::kNone;
  return p;
}

// One switch (index returned); host i on switch port i.
inline std::uint32_t make_star(Fabric& f, std::uint32_t hosts, const LinkParams& link,
                               const SwitchParams& sw, const NicParams& nic) {
  const std::uint32_t s = f.add_switch(static_cast<std::uint16_t>(hosts), sw, 0);
  for (std::uint32_t h = 0; h < hosts; ++h) {
    const EndpointId e = f.add_nic(nic);
    f.connect(NodeRef::nic(e), 0, NodeRef::sw(s), static_cast<std::uint16_t>(h), link);
    f.set_endpoint_attachment(e, s, static_cast<std::uint16_t>(h));
  }
  f.set_routes(s, {}, {});
  return s;
}

// Two switches joined by one `bottleneck` link: hosts 0..left-1 on switch 0 (ports 0..),
// hosts left..left+right-1 on switch 1; the bottleneck is port `left` of switch 0 and port
// `right` of switch 1.
inline void make_dumbbell(Fabric& f, std::uint32_t left, std::uint32_t right,
                          const LinkParams& link, const LinkParams& bottleneck,
                          const SwitchParams& sw, const NicParams& nic) {
  const std::uint32_t s0 = f.add_switch(static_cast<std::uint16_t>(left + 1), sw, 0);
  const std::uint32_t s1 = f.add_switch(static_cast<std::uint16_t>(right + 1), sw, 0);
  for (std::uint32_t h = 0; h < left + right; ++h) {
    const EndpointId e = f.add_nic(nic);
    const std::uint32_t s = h < left ? s0 : s1;
    const auto port = static_cast<std::uint16_t>(h < left ? h : h - left);
    f.connect(NodeRef::nic(e), 0, NodeRef::sw(s), port, link);
    f.set_endpoint_attachment(e, s, port);
  }
  f.connect(NodeRef::sw(s0), static_cast<std::uint16_t>(left), NodeRef::sw(s1),
            static_cast<std::uint16_t>(right), bottleneck);
  // Edge index 0 is switch 0, 1 is switch 1 (attachment order).
  f.set_routes(s0, {0, 0}, {{static_cast<std::uint16_t>(left)}});
  f.set_routes(s1, {0, 0}, {{static_cast<std::uint16_t>(right)}});
}

struct LeafSpine {
  std::vector<std::uint32_t> leaves;
  std::vector<std::uint32_t> spines;
  std::uint32_t hosts_per_leaf = 0;
  // Port of leaf `l` that goes up to spine `s`.
  std::uint16_t uplink(std::uint32_t s) const {
    return static_cast<std::uint16_t>(hosts_per_leaf + s);
  }
};

// Leaves with `hosts_per_leaf` hosts on ports 0.. and one uplink per spine after them; spine
// port l goes to leaf l. Host h is on leaf h / hosts_per_leaf.
inline LeafSpine make_leaf_spine(Fabric& f, std::uint32_t leaves, std::uint32_t spines,
                                 std::uint32_t hosts_per_leaf, const LinkParams& link,
                                 const SwitchParams& sw, const NicParams& nic) {
  LeafSpine t;
  t.hosts_per_leaf = hosts_per_leaf;
  for (std::uint32_t l = 0; l < leaves; ++l) {
    t.leaves.push_back(f.add_switch(static_cast<std::uint16_t>(hosts_per_leaf + spines), sw, 0));
  }
  for (std::uint32_t s = 0; s < spines; ++s) {
    t.spines.push_back(f.add_switch(static_cast<std::uint16_t>(leaves), sw, 1));
  }
  for (std::uint32_t l = 0; l < leaves; ++l) {
    for (std::uint32_t h = 0; h < hosts_per_leaf; ++h) {
      const EndpointId e = f.add_nic(nic);
      f.connect(NodeRef::nic(e), 0, NodeRef::sw(t.leaves[l]), static_cast<std::uint16_t>(h), link);
      f.set_endpoint_attachment(e, t.leaves[l], static_cast<std::uint16_t>(h));
    }
    for (std::uint32_t s = 0; s < spines; ++s) {
      f.connect(NodeRef::sw(t.leaves[l]), t.uplink(s), NodeRef::sw(t.spines[s]),
                static_cast<std::uint16_t>(l), link);
    }
  }
  // Leaves: one group (every uplink) for every other leaf. Spines: leaf l via port l.
  std::vector<std::uint16_t> ups;
  for (std::uint32_t s = 0; s < spines; ++s)
    ups.push_back(t.uplink(s));
  for (std::uint32_t l = 0; l < leaves; ++l) {
    f.set_routes(t.leaves[l], std::vector<std::uint16_t>(leaves, 0), {ups});
  }
  std::vector<std::vector<std::uint16_t>> down;
  std::vector<std::uint16_t> group_of_edge(leaves, 0);
  for (std::uint32_t l = 0; l < leaves; ++l) {
    down.push_back({static_cast<std::uint16_t>(l)});
    group_of_edge[f.edge_index(t.leaves[l])] = static_cast<std::uint16_t>(l);
  }
  for (std::uint32_t s = 0; s < spines; ++s)
    f.set_routes(t.spines[s], group_of_edge, down);
  return t;
}

// Records every completion; checks exactly-once delivery per (src, cookie).
class RecordingObserver : public models::MessageObserver {
 public:
  struct Received {
    EndpointId dst;
    EndpointId src;
    std::uint64_t bytes;
    sim::Time t;
    int count = 0;
  };
  void on_message_sent(EndpointId src, std::uint64_t cookie, sim::Time t) override {
    sent[{src, cookie}] = t;
  }
  void on_message_received(EndpointId dst, EndpointId src, std::uint64_t cookie,
                           std::uint64_t bytes, sim::Time t) override {
    Received& r = received[{src, cookie}];
    r.dst = dst;
    r.src = src;
    r.bytes = bytes;
    r.t = t;
    ++r.count;
  }
  std::map<std::pair<EndpointId, std::uint64_t>, sim::Time> sent;
  std::map<std::pair<EndpointId, std::uint64_t>, Received> received;
};

// Wires port pa of a to port pb of b, both directions, outside the Fabric (test nodes).
inline void wire(models::Node& a, std::uint16_t pa, models::Node& b, std::uint16_t pb,
                 const LinkParams& link) {
  a.port(pa).attach(b, pb, link, 1000U + pa);
  b.port(pb).attach(a, pa, link, 2000U + pb);
}

// A test node with `ports` ports that records (time, copy) of what it receives and frees it.
class SinkNode : public models::Node {
 public:
  SinkNode(sim::Simulator& sim, models::PacketPool& pool, std::uint16_t ports) : pool_(&pool) {
    ports_.reserve(ports);
    for (std::uint16_t i = 0; i < ports; ++i)
      ports_.emplace_back(sim, pool, *this, i);
    sim_ = &sim;
  }
  void receive(models::Packet* p, std::uint16_t in_port) override {
    models::Packet copy = *p;
    copy.in_port = in_port;
    log.emplace_back(sim_->now(), copy);
    if (p->kind == models::PacketKind::kPause)
      ports_[in_port].on_pause_frame(p->priority, p->pause_quanta);
    pool_->release(p);
  }
  models::Port& port(std::uint16_t i) override { return ports_[i]; }
  std::uint16_t port_count() const override { return static_cast<std::uint16_t>(ports_.size()); }
  std::vector<std::pair<sim::Time, models::Packet>> log;

 private:
  sim::Simulator* sim_;
  models::PacketPool* pool_;
  std::vector<models::Port> ports_;
};

// A switch with ports 0 (upstream sink) and 1 (sink holding endpoint 0); hand-wired. inject()
// hands it a class-1 data packet arriving on port 0.
struct OneSwitch {
  sim::Simulator sim{3};
  models::PacketPool pool;
  std::vector<models::Attachment> attachments{models::Attachment{0, 0, 1}};
  SinkNode up{sim, pool, 1};
  SinkNode down{sim, pool, 1};
  models::Switch sw;
  explicit OneSwitch(const SwitchParams& p) : sw(sim, pool, attachments, 0, 2, p, 0) {
    wire(up, 0, sw, 0, LinkParams{});
    wire(down, 0, sw, 1, LinkParams{});
    sw.port_attached(0);
    sw.port_attached(1);
  }
  void inject(std::uint32_t psn, std::uint32_t wire_bytes = 1000,
              models::Ecn ecn = models::Ecn::kNotEct) {
    models::Packet* p = pool.alloc();
    p->kind = models::PacketKind::kData;
    p->dst = 0;
    p->psn = psn;
    p->wire_bytes = wire_bytes;
    p->payload_bytes = wire_bytes > 62 ? wire_bytes - 62 : 0;
    p->priority = 1;
    p->ecn = ecn;
    sw.receive(p, 0);
  }
};

// A two-port test node that forwards everything from one port to the other, letting a test drop or
// modify packets (`filter` returns false to drop) and see every packet with its time.
class RelayNode : public models::Node {
 public:
  using Filter = std::function<bool(models::Packet&, std::uint16_t in_port)>;
  RelayNode(sim::Simulator& sim, models::PacketPool& pool) : sim_(&sim), pool_(&pool) {
    ports_.reserve(2);
    ports_.emplace_back(sim, pool, *this, 0);
    ports_.emplace_back(sim, pool, *this, 1);
  }
  void receive(models::Packet* p, std::uint16_t in_port) override {
    log.emplace_back(sim_->now(), *p);
    if (p->kind == models::PacketKind::kPause) {
      ports_[in_port].on_pause_frame(p->priority, p->pause_quanta);
      pool_->release(p);
      return;
    }
    if (filter && !filter(*p, in_port)) {
      ++dropped;
      pool_->release(p);
      return;
    }
    ports_[1 - in_port].enqueue(p);
  }
  models::Port& port(std::uint16_t i) override { return ports_[i]; }
  std::uint16_t port_count() const override { return 2; }
  Filter filter;
  int dropped = 0;
  std::vector<std::pair<sim::Time, models::Packet>> log;

 private:
  sim::Simulator* sim_;
  models::PacketPool* pool_;
  std::vector<models::Port> ports_;
};

}  // namespace fabricsim::test
