// The N-API surface: argument checks and conversions only. Each function
// calls one primitive from the other files; SysError becomes a JS Error with
// errno, code and syscall set, as node's own fs errors have.
#include <napi.h>
#include <string.h>

#include "channel.h"
#include "process.h"
#include "spawn.h"
#include "syserror.h"

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

int32_t int_arg(const Napi::CallbackInfo &info, size_t i, const char *name) {
  if (!info[i].IsNumber()) {
    Napi::TypeError::New(info.Env(), std::string(name) + " must be a number").ThrowAsJavaScriptException();
    return -1;
  }
  return info[i].As<Napi::Number>().Int32Value();
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
    tsrun::SpawnedInit s = tsrun::spawn_init(info[0].As<Napi::String>().Utf8Value(), preserve);
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
    tsrun::channel_send(fd, type, buf.Data(), buf.Length());
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

Napi::Value Mkfifo(const Napi::CallbackInfo &info) {
  return guarded(info, [&]() -> Napi::Value {
    if (!info[0].IsString()) throw Napi::TypeError::New(info.Env(), "path must be a string");
    tsrun::make_fifo(info[0].As<Napi::String>().Utf8Value().c_str(), int_arg(info, 1, "mode"));
    return info.Env().Undefined();
  });
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("spawnInit", Napi::Function::New(env, SpawnInit));
  exports.Set("channelSend", Napi::Function::New(env, ChannelSend));
  exports.Set("channelRecv", Napi::Function::New(env, ChannelRecv));
  exports.Set("waitPid", Napi::Function::New(env, WaitPid));
  exports.Set("waitPidAsync", Napi::Function::New(env, WaitPidAsync));
  exports.Set("flock", Napi::Function::New(env, Flock));
  exports.Set("mkfifo", Napi::Function::New(env, Mkfifo));
  return exports;
}

}  // namespace

NODE_API_MODULE(tsrun_native, Init)
