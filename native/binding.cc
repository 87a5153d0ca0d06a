// The N-API surface: argument checks and conversions only. Each function
// calls one primitive from the other files; SysError becomes a JS Error with
// errno, code and syscall set, as node's own fs errors have.
#include <napi.h>
#include <string.h>

#include <functional>
#include <memory>
#include <optional>

#include "cgroup_bpf.h"
#include "cgroup_event.h"
#include "cgroup_warm.h"
#include "channel.h"
#include "notify.h"
#include "process.h"
#include "seccomp.h"
#include "spawn.h"
#include "syserror.h"
#include "terminal.h"
#include "unmount.h"

namespace {

using tsrun::SysError;

Napi::Error to_js(Napi::Env env, const SysError &e) {
  Napi::Error err = Napi::Error::New(env, std::string(e.what()) + ": " + strerror(e.err));
  err.Set("errno", Napi::Number::New(env, e.err));
  const char *name = strerrorname_np(e.err);
  err.Set("code", Napi::String::New(env, name ? name : "EUNKNOWN"));
  err.Set("syscall", Napi::String::New(env, e.syscall));
  return err;
}

template <typename F>
Napi::Value guarded(const Napi::CallbackInfo &info, F body) {
  try {
    return body();
  } catch (const SysError &e) {
    to_js(info.Env(), e).ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
}

// Throws (a C++ exception node-addon-api turns into a JS TypeError), so a
// bad argument never reaches the syscall as -1.
int32_t int_arg(const Napi::CallbackInfo &info, size_t i, const char *name) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a number");
  return info[i].As<Napi::Number>().Int32Value();
}

// An array of fds (numbers), as int_arg takes one.
std::vector<int> fds_arg(const Napi::CallbackInfo &info, size_t i) {
  if (!info[i].IsArray()) throw Napi::TypeError::New(info.Env(), "fds must be an array");
  Napi::Array arr = info[i].As<Napi::Array>();
  std::vector<int> fds;
  for (uint32_t k = 0; k < arr.Length(); k++) {
    Napi::Value v = arr.Get(k);
    if (!v.IsNumber()) throw Napi::TypeError::New(info.Env(), "fds must be numbers");
    fds.push_back(v.As<Napi::Number>().Int32Value());
  }
  return fds;
}

Napi::Array bool_array(Napi::Env env, const std::vector<bool> &values) {
  Napi::Array out = Napi::Array::New(env, values.size());
  for (uint32_t i = 0; i < values.size(); i++) out.Set(i, Napi::Boolean::New(env, values[i]));
  return out;
}

Napi::Object wait_result(Napi::Env env, const tsrun::WaitResult &r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("exited", r.exited);
  o.Set("code", r.code);
  o.Set("signal", r.signal);
  return o;
}

Napi::Value SpawnInit(const Napi::CallbackInfo &info) {
  return guarded(info, [&]() -> Napi::Value {
    if (!info[0].IsString()) throw Napi::TypeError::New(info.Env(), "initPath must be a string");
    int preserve = int_arg(info, 1, "preserveFds");
    std::array<int, 3> stdio = {-1, -1, -1};
    if (info.Length() > 2 && !info[2].IsUndefined()) {
      if (!info[2].IsArray() || info[2].As<Napi::Array>().Length() != 3) throw Napi::TypeError::New(info.Env(), "stdio must be an array of 3 fds");
      auto a = info[2].As<Napi::Array>();
      for (uint32_t i = 0; i < 3; i++) {
        Napi::Value v = a.Get(i);
        if (!v.IsNumber()) throw Napi::TypeError::New(info.Env(), "stdio must be an array of 3 fds");
        stdio[i] = v.As<Napi::Number>().Int32Value();
      }
    }
    tsrun::SpawnedInit s = tsrun::spawn_init(info[0].As<Napi::String>().Utf8Value(), preserve, stdio);
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("pid", s.pid);
    o.Set("fd", s.sock);
    return o;
  });
}

Napi::Value ChannelSend(const Napi::CallbackInfo &info) {
  return guarded(info, [&]() -> Napi::Value {
    int fd = int_arg(info, 0, "fd");
    uint32_t type = int_arg(info, 1, "type");
    if (!info[2].IsBuffer()) throw Napi::TypeError::New(info.Env(), "payload must be a Buffer");
    auto buf = info[2].As<Napi::Buffer<uint8_t>>();
    int pass_fd = info.Length() > 3 && info[3].IsNumber() ? info[3].As<Napi::Number>().Int32Value() : -1;
    tsrun::channel_send(fd, type, buf.Data(), buf.Length(), pass_fd);
    return info.Env().Undefined();
  });
}

Napi::Value ChannelRecv(const Napi::CallbackInfo &info) {
  return guarded(info, [&]() -> Napi::Value {
    auto m = tsrun::channel_recv(int_arg(info, 0, "fd"));
    if (!m) return info.Env().Null();
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("type", m->type);
    o.Set("payload", Napi::Buffer<uint8_t>::Copy(info.Env(), m->payload.data(), m->payload.size()));
    if (m->fd >= 0) o.Set("fd", m->fd);
    return o;
  });
}

Napi::Value WaitPid(const Napi::CallbackInfo &info) {
  return guarded(info, [&]() -> Napi::Value {
    int pid = int_arg(info, 0, "pid");
    bool block = info[1].ToBoolean();
    return wait_result(info.Env(), tsrun::wait_pid(pid, block));
  });
}

// A blocking waitpid on a libuv pool thread, so `run` keeps its event loop
// (signal forwarding) while the container runs.
class WaitWorker : public Napi::AsyncWorker {
 public:
  WaitWorker(Napi::Env env, pid_t pid) : Napi::AsyncWorker(env), pid_(pid), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    try {
      result_ = tsrun::wait_pid(pid_, true);
    } catch (const SysError &e) {
      err_ = e.err;
      msg_ = e.what();
    }
  }
  void OnOK() override {
    if (err_) deferred_.Reject(to_js(Env(), SysError("waitpid", err_, msg_)).Value());
    else deferred_.Resolve(wait_result(Env(), result_));
  }

 private:
  pid_t pid_;
  Napi::Promise::Deferred deferred_;
  tsrun::WaitResult result_{};
  int err_ = 0;
  std::string msg_;
};

Napi::Value WaitPidAsync(const Napi::CallbackInfo &info) {
  int pid = int_arg(info, 0, "pid");
  auto *w = new WaitWorker(info.Env(), pid);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value Flock(const Napi::CallbackInfo &info) {
  return guarded(info, [&]() -> Napi::Value {
    bool acquired = false;
    tsrun::lock_fd(int_arg(info, 0, "fd"), info[1].ToBoolean(), info[2].ToBoolean(), &acquired);
    return Napi::Boolean::New(info.Env(), acquired);
  });
}

Napi::Value PidfdOpen(const Napi::CallbackInfo &info) {
  return guarded(info, [&]() -> Napi::Value {
    return Napi::Number::New(info.Env(), tsrun::pidfd_open_or_gone(int_arg(info, 0, "pid")));
  });
}

Napi::Value WaitReadable(const Napi::CallbackInfo &info) {
  return guarded(info, [&]() -> Napi::Value {
    std::vector<bool> ready = tsrun::wait_readable(fds_arg(info, 0), int_arg(info, 1, "timeoutMs"));
    return bool_array(info.Env(), ready);
  });
}

Napi::Value Mkfifo(const Napi::CallbackInfo &info) {
  return guarded(info, [&]() -> Napi::Value {
    if (!info[0].IsString()) throw Napi::TypeError::New(info.Env(), "path must be a string");
    tsrun::make_fifo(info[0].As<Napi::String>().Utf8Value().c_str(), int_arg(info, 1, "mode"));
    return info.Env().Undefined();
  });
}

// (mount id, unique id as a decimal string: it is 64-bit) -> "unmounted" | "gone".
Napi::Value UnmountById(const Napi::CallbackInfo &info) {
  return guarded(info, [&]() -> Napi::Value {
    if (!info[0].IsNumber() || !info[1].IsString()) throw Napi::TypeError::New(info.Env(), "unmountById(mntId: number, uniqueId: string)");
    uint64_t id = static_cast<uint64_t>(info[0].As<Napi::Number>().Int64Value());
    uint64_t unique = strtoull(info[1].As<Napi::String>().Utf8Value().c_str(), nullptr, 10);
    bool done = tsrun::unmount_by_id(id, unique) == tsrun::UnmountResult::Unmounted;
    return Napi::String::New(info.Env(), done ? "unmounted" : "gone");
  });
}

// Plain-object accessors for compileSeccomp's argument; TypeError on a wrong shape.
Napi::Value field(const Napi::Object &o, const char *key) { return o.Get(key); }

uint32_t u32_field(const Napi::Object &o, const char *key) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string(key) + " must be a number");
  return v.As<Napi::Number>().Uint32Value();
}

uint64_t u64_field(const Napi::Object &o, const char *key) {
  Napi::Value v = o.Get(key);
  if (v.IsBigInt()) {
    bool lossless = true;
    uint64_t n = v.As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) throw Napi::TypeError::New(o.Env(), std::string(key) + " must fit in 64 bits");
    return n;
  }
  if (v.IsNumber()) return static_cast<uint64_t>(v.As<Napi::Number>().Int64Value());
  if (v.IsUndefined()) return 0;
  throw Napi::TypeError::New(o.Env(), std::string(key) + " must be a bigint");
}

std::vector<std::string> strings_field(const Napi::Object &o, const char *key) {
  Napi::Value v = o.Get(key);
  std::vector<std::string> out;
  if (v.IsUndefined()) return out;
  if (!v.IsArray()) throw Napi::TypeError::New(o.Env(), std::string(key) + " must be an array of strings");
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value s = a.Get(i);
    if (!s.IsString()) throw Napi::TypeError::New(o.Env(), std::string(key) + " must be an array of strings");
    out.push_back(s.As<Napi::String>().Utf8Value());
  }
  return out;
}

Napi::Array objects_field(const Napi::Object &o, const char *key) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return Napi::Array::New(o.Env());
  if (!v.IsArray()) throw Napi::TypeError::New(o.Env(), std::string(key) + " must be an array");
  return v.As<Napi::Array>();
}

Napi::Object object_at(const Napi::Array &a, uint32_t i) {
  Napi::Value v = a.Get(i);
  if (!v.IsObject()) throw Napi::TypeError::New(a.Env(), "expected an object");
  return v.As<Napi::Object>();
}

Napi::Value CompileSeccomp(const Napi::CallbackInfo &info) {
  if (!info[0].IsObject()) throw Napi::TypeError::New(info.Env(), "spec must be an object");
  Napi::Object o = info[0].As<Napi::Object>();
  tsrun::SeccompSpec spec;
  spec.default_action = u32_field(o, "defaultAction");
  spec.architectures = strings_field(o, "architectures");
  spec.enosys = field(o, "enosys").ToBoolean();
  spec.enosys_names = strings_field(o, "enosysNames");
  spec.optimize = field(o, "optimize").ToBoolean();
  Napi::Array rules = objects_field(o, "rules");
  for (uint32_t i = 0; i < rules.Length(); i++) {
    Napi::Object r = object_at(rules, i);
    tsrun::SeccompRule rule;
    rule.source = static_cast<int>(u32_field(r, "source"));
    rule.action = u32_field(r, "action");
    rule.names = strings_field(r, "names");
    Napi::Array args = objects_field(r, "args");
    for (uint32_t j = 0; j < args.Length(); j++) {
      Napi::Object a = object_at(args, j);
      rule.args.push_back({u32_field(a, "index"), u32_field(a, "op"), u64_field(a, "value"), u64_field(a, "valueTwo")});
    }
    spec.rules.push_back(std::move(rule));
  }
  try {
    tsrun::CompiledSeccomp c = tsrun::compile_seccomp(spec);
    Napi::Object out = Napi::Object::New(info.Env());
    out.Set("bpf", Napi::Buffer<uint8_t>::Copy(info.Env(), c.bpf.data(), c.bpf.size()));
    Napi::Array unknown = Napi::Array::New(info.Env(), c.unknown.size());
    for (size_t i = 0; i < c.unknown.size(); i++) unknown.Set(i, c.unknown[i]);
    out.Set("unknown", unknown);
    return out;
  } catch (const tsrun::SeccompError &e) {
    Napi::Error err = Napi::Error::New(info.Env(), e.what());
    err.Set("errno", Napi::Number::New(info.Env(), e.err));
    if (e.source >= 0) err.Set("rule", Napi::Number::New(info.Env(), e.source));
    if (e.arch >= 0) err.Set("arch", Napi::Number::New(info.Env(), e.arch));
    throw err;
  }
}

Napi::Value SeccompSupport(const Napi::CallbackInfo &info) {
  tsrun::SeccompSupport s = tsrun::probe_seccomp();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("flags", s.flags);
  Napi::Array actions = Napi::Array::New(info.Env(), s.actions.size());
  for (size_t i = 0; i < s.actions.size(); i++) actions.Set(i, s.actions[i]);
  o.Set("actions", actions);
  o.Set("libseccomp", s.libseccomp);
  return o;
}

Napi::Value SeccompKnownArchs(const Napi::CallbackInfo &info) {
  if (!info[0].IsArray()) throw Napi::TypeError::New(info.Env(), "names must be an array of strings");
  Napi::Array a = info[0].As<Napi::Array>();
  std::vector<std::string> names;
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value v = a.Get(i);
    if (!v.IsString()) throw Napi::TypeError::New(info.Env(), "names must be an array of strings");
    names.push_back(v.As<Napi::String>().Utf8Value());
  }
  std::vector<std::string> known = tsrun::known_seccomp_archs(names);
  Napi::Array out = Napi::Array::New(info.Env(), known.size());
  for (size_t i = 0; i < known.size(); i++) out.Set(i, known[i]);
  return out;
}

Napi::Value SendFdToUnixSocket(const Napi::CallbackInfo &info) {
  return guarded(info, [&]() -> Napi::Value {
    if (!info[0].IsString()) throw Napi::TypeError::New(info.Env(), "path must be a string");
    if (!info[1].IsBuffer()) throw Napi::TypeError::New(info.Env(), "payload must be a Buffer");
    auto buf = info[1].As<Napi::Buffer<uint8_t>>();
    tsrun::send_fd_to_unix_socket(info[0].As<Napi::String>().Utf8Value(), buf.Data(), buf.Length(),
                                  int_arg(info, 2, "fd"));
    return info.Env().Undefined();
  });
}

Napi::Value ConnectUnix(const Napi::CallbackInfo &info) {
  return guarded(info, [&]() -> Napi::Value {
    if (!info[0].IsString()) throw Napi::TypeError::New(info.Env(), "path must be a string");
    return Napi::Number::New(info.Env(), tsrun::connect_unix(info[0].As<Napi::String>().Utf8Value()));
  });
}

Napi::Value SocketPair(const Napi::CallbackInfo &info) {
  return guarded(info, [&]() -> Napi::Value {
    auto [a, b] = tsrun::socket_pair(info.Length() > 0 && info[0].ToBoolean());
    Napi::Array pair = Napi::Array::New(info.Env(), 2);
    pair.Set(0u, a);
    pair.Set(1u, b);
    return pair;
  });
}

Napi::Value RecvFd(const Napi::CallbackInfo &info) {
  return guarded(info, [&]() -> Napi::Value {
    return Napi::Number::New(info.Env(), tsrun::recv_fd(int_arg(info, 0, "fd")));
  });
}

Napi::Value RecvPacket(const Napi::CallbackInfo &info) {
  return guarded(info, [&]() -> Napi::Value {
    auto p = tsrun::recv_packet(int_arg(info, 0, "fd"), static_cast<size_t>(int_arg(info, 1, "maxLength")));
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("data", Napi::Buffer<uint8_t>::Copy(info.Env(), p.data.data(), p.data.size()));
    if (p.fd >= 0) o.Set("fd", p.fd);
    return o;
  });
}

Napi::Value SetWinsize(const Napi::CallbackInfo &info) {
  return guarded(info, [&]() -> Napi::Value {
    tsrun::set_winsize(int_arg(info, 0, "fd"), int_arg(info, 1, "rows"), int_arg(info, 2, "cols"));
    return info.Env().Undefined();
  });
}

Napi::Value AttachDeviceProgram(const Napi::CallbackInfo &info) {
  return guarded(info, [&]() -> Napi::Value {
    if (!info[0].IsString()) throw Napi::TypeError::New(info.Env(), "cgroupDir must be a string");
    if (!info[1].IsBuffer()) throw Napi::TypeError::New(info.Env(), "program must be a Buffer");
    auto buf = info[1].As<Napi::Buffer<uint8_t>>();
    tsrun::attach_device_program(info[0].As<Napi::String>().Utf8Value(), buf.Data(), buf.Length());
    return info.Env().Undefined();
  });
}

Napi::Value CgroupEventfd(const Napi::CallbackInfo &info) {
  return guarded(info, [&]() -> Napi::Value {
    if (!info[0].IsString() || !info[1].IsString() || !info[2].IsString())
      throw Napi::TypeError::New(info.Env(), "cgroupDir, file and args must be strings");
    int fd = tsrun::cgroup_eventfd(info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::String>().Utf8Value(),
                                   info[2].As<Napi::String>().Utf8Value());
    return Napi::Number::New(info.Env(), fd);
  });
}

Napi::Value CgroupWarmStart(const Napi::CallbackInfo &info) {
  if (!info[0].IsString()) throw Napi::TypeError::New(info.Env(), "procsPath must be a string");
  int interval = int_arg(info, 1, "intervalMs");
  int cap = int_arg(info, 2, "capMs");
  if (interval <= 0 || cap < 0) throw Napi::RangeError::New(info.Env(), "intervalMs must be > 0 and capMs >= 0");
  int hand_over = info[3].IsUndefined() ? -1 : int_arg(info, 3, "handOverFd");
  return Napi::Boolean::New(info.Env(), tsrun::cgroup_warm_start(info[0].As<Napi::String>().Utf8Value(), interval, cap, hand_over));
}

Napi::Value CgroupWarmStop(const Napi::CallbackInfo &info) {
  tsrun::cgroup_warm_stop();
  return info.Env().Undefined();
}

// Runs body on a libuv pool thread (it may block); a SysError rejects with to_js.
template <typename R>
class PoolCall : public Napi::AsyncWorker {
 public:
  using Body = std::function<R()>;
  using ToJs = std::function<Napi::Value(Napi::Env, const R &)>;
  PoolCall(Napi::Env env, Body body, ToJs to_value)
      : Napi::AsyncWorker(env), body_(body), to_value_(to_value), deferred_(Napi::Promise::Deferred::New(env)) {}
  static Napi::Promise Queue(Napi::Env env, Body body, ToJs to_value) {
    auto *w = new PoolCall(env, body, to_value);
    Napi::Promise p = w->deferred_.Promise();
    w->Napi::AsyncWorker::Queue();
    return p;
  }
  void Execute() override {
    try {
      result_ = body_();
    } catch (const SysError &e) {
      err_ = std::make_unique<SysError>(e);
    }
  }
  void OnOK() override {
    if (err_) deferred_.Reject(to_js(Env(), *err_).Value());
    else deferred_.Resolve(to_value_(Env(), result_));
  }

 private:
  Body body_;
  ToJs to_value_;
  Napi::Promise::Deferred deferred_;
  R result_{};
  std::unique_ptr<SysError> err_;
};

// WaitReadable on a libuv pool thread: the event loop (signal handlers) runs meanwhile.
Napi::Value WaitReadableAsync(const Napi::CallbackInfo &info) {
  std::vector<int> fds = fds_arg(info, 0);
  int timeout = int_arg(info, 1, "timeoutMs");
  return PoolCall<std::vector<bool>>::Queue(
      info.Env(), [=] { return tsrun::wait_readable(fds, timeout); },
      [](Napi::Env env, const std::vector<bool> &ready) -> Napi::Value { return bool_array(env, ready); });
}

Napi::Value NotifyBind(const Napi::CallbackInfo &info) {
  return guarded(info, [&]() -> Napi::Value {
    if (!info[0].IsString()) throw Napi::TypeError::New(info.Env(), "path must be a string");
    return Napi::Number::New(info.Env(), tsrun::notify_bind(info[0].As<Napi::String>().Utf8Value()));
  });
}

Napi::Value NotifyRecvReady(const Napi::CallbackInfo &info) {
  int fd = int_arg(info, 0, "fd"), timeout = int_arg(info, 1, "timeoutMs");
  return PoolCall<std::optional<std::string>>::Queue(
      info.Env(), [=] { return tsrun::notify_recv_ready(fd, timeout); },
      [](Napi::Env env, const std::optional<std::string> &r) -> Napi::Value {
        return r ? Napi::String::New(env, *r) : env.Null();
      });
}

Napi::Value NotifyConnect(const Napi::CallbackInfo &info) {
  return guarded(info, [&]() -> Napi::Value {
    if (!info[0].IsString()) throw Napi::TypeError::New(info.Env(), "host must be a string");
    return Napi::Number::New(info.Env(), tsrun::notify_connect(info[0].As<Napi::String>().Utf8Value()));
  });
}

Napi::Value NotifyReady(const Napi::CallbackInfo &info) {
  if (!info[1].IsString()) throw Napi::TypeError::New(info.Env(), "ready must be a string");
  int sock = int_arg(info, 0, "sock"), pid = int_arg(info, 2, "mainPid"), timeout = int_arg(info, 3, "barrierTimeoutMs");
  std::string ready = info[1].As<Napi::String>().Utf8Value();
  return PoolCall<bool>::Queue(
      info.Env(), [=] { return tsrun::notify_ready(sock, ready, pid, timeout); },
      [](Napi::Env env, const bool &acked) -> Napi::Value { return Napi::Boolean::New(env, acked); });
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("connectUnix", Napi::Function::New(env, ConnectUnix));
  exports.Set("socketPair", Napi::Function::New(env, SocketPair));
  exports.Set("recvFd", Napi::Function::New(env, RecvFd));
  exports.Set("recvPacket", Napi::Function::New(env, RecvPacket));
  exports.Set("setWinsize", Napi::Function::New(env, SetWinsize));
  exports.Set("spawnInit", Napi::Function::New(env, SpawnInit));
  exports.Set("channelSend", Napi::Function::New(env, ChannelSend));
  exports.Set("channelRecv", Napi::Function::New(env, ChannelRecv));
  exports.Set("waitPid", Napi::Function::New(env, WaitPid));
  exports.Set("waitPidAsync", Napi::Function::New(env, WaitPidAsync));
  exports.Set("flock", Napi::Function::New(env, Flock));
  exports.Set("mkfifo", Napi::Function::New(env, Mkfifo));
  exports.Set("pidfdOpen", Napi::Function::New(env, PidfdOpen));
  exports.Set("waitReadable", Napi::Function::New(env, WaitReadable));
  exports.Set("waitReadableAsync", Napi::Function::New(env, WaitReadableAsync));
  exports.Set("unmountById", Napi::Function::New(env, UnmountById));
  exports.Set("compileSeccomp", Napi::Function::New(env, CompileSeccomp));
  exports.Set("seccompSupport", Napi::Function::New(env, SeccompSupport));
  exports.Set("seccompKnownArchs", Napi::Function::New(env, SeccompKnownArchs));
  exports.Set("sendFdToUnixSocket", Napi::Function::New(env, SendFdToUnixSocket));
  exports.Set("attachDeviceProgram", Napi::Function::New(env, AttachDeviceProgram));
  exports.Set("cgroupEventfd", Napi::Function::New(env, CgroupEventfd));
  exports.Set("cgroupWarmStart", Napi::Function::New(env, CgroupWarmStart));
  exports.Set("cgroupWarmStop", Napi::Function::New(env, CgroupWarmStop));
  exports.Set("notifyBind", Napi::Function::New(env, NotifyBind));
  exports.Set("notifyRecvReady", Napi::Function::New(env, NotifyRecvReady));
  exports.Set("notifyConnect", Napi::Function::New(env, NotifyConnect));
  exports.Set("notifyReady", Napi::Function::New(env, NotifyReady));
  return exports;
}

}  // namespace

NODE_API_MODULE(tsrun_native, Init)
