// Modules (PTX out of fatbins, parsed once per content and device model),
// functions and their attributes, launches, occupancy, tensor maps.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "common/fatbin.hpp"
#include "driver/internal.hpp"

using namespace ptxsim::driver;

namespace ptxsim::driver {

void destroy_module(CUmod_st* m) {
    for (auto& [name, f] : m->functions) remove_live(f.get());
    m->ctx->modules.erase(m);
    remove_live(m);
    delete m;
}

}  // namespace ptxsim::driver

namespace {

uint64_t fnv1a(std::string_view s) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h ^ s.size();
}

// The JIT options cuModuleLoadDataEx may pass: ptxsim writes its messages
// into the error / info log buffers as the JIT would.
struct JitLogs {
    char* error = nullptr;
    size_t error_size = 0;
    size_t* error_size_out = nullptr;
    char* info = nullptr;
    size_t info_size = 0;
    size_t* info_size_out = nullptr;

    JitLogs(unsigned n, CUjit_option* options, void** values) {
        if (options == nullptr || values == nullptr) return;
        for (unsigned i = 0; i < n; ++i) {
            switch (options[i]) {
                case CU_JIT_ERROR_LOG_BUFFER: error = static_cast<char*>(values[i]); break;
                case CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES:
                    error_size = reinterpret_cast<uintptr_t>(values[i]);
                    error_size_out = reinterpret_cast<size_t*>(&values[i]);
                    break;
                case CU_JIT_INFO_LOG_BUFFER: info = static_cast<char*>(values[i]); break;
                case CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES:
                    info_size = reinterpret_cast<uintptr_t>(values[i]);
                    info_size_out = reinterpret_cast<size_t*>(&values[i]);
                    break;
                default: break;
            }
        }
    }
    static void write(char* buf, size_t size, size_t* out, const std::string& text) {
        if (buf == nullptr || size == 0) return;
        const size_t n = std::min(text.size(), size - 1);
        std::memcpy(buf, text.data(), n);
        buf[n] = '\0';
        if (out != nullptr) *out = n + 1;
    }
    void set_error(const std::string& t) const { write(error, error_size, error_size_out, t); }
    void set_info(const std::string& t) const { write(info, info_size, info_size_out, t); }
};

// Mutation testing (tools/ptxsim/scripts/mutate.py): PTXSIM_PTX_OVERRIDE is a
// ':'-separated list of PTX files. A loaded module whose PTX declares exactly
// the same set of .entry names as one of those files runs that file's text
// instead (one stderr line says so). Files are read once per path. Unset, the
// driver is unchanged.
std::set<std::string> entry_names(const std::string& ptx) {
    std::set<std::string> names;
    for (size_t at = ptx.find(".entry"); at != std::string::npos; at = ptx.find(".entry", at + 6)) {
        size_t i = at + 6;
        if (i >= ptx.size() || !std::isspace(static_cast<unsigned char>(ptx[i]))) continue;
        while (i < ptx.size() && std::isspace(static_cast<unsigned char>(ptx[i]))) ++i;
        size_t j = i;
        while (j < ptx.size() && (std::isalnum(static_cast<unsigned char>(ptx[j])) || ptx[j] == '_' || ptx[j] == '$'))
            ++j;
        if (j > i) names.insert(ptx.substr(i, j - i));
    }
    return names;
}

struct OverrideFile {
    std::string text;
    std::set<std::string> entries;
};

// Replaces ptx by an override's text when one matches; returns that file's path or "".
std::string apply_ptx_override(std::string& ptx) {
    const char* env = std::getenv("PTXSIM_PTX_OVERRIDE");
    if (env == nullptr || *env == '\0') return "";
    static std::map<std::string, OverrideFile> files;  // by path; under the driver lock
    const std::set<std::string> mine = entry_names(ptx);
    std::stringstream list(env);
    for (std::string path; std::getline(list, path, ':');) {
        if (path.empty()) continue;
        auto it = files.find(path);
        if (it == files.end()) {
            std::ifstream in(path, std::ios::binary);
            if (!in) {
                std::fprintf(stderr, "ptxsim: PTXSIM_PTX_OVERRIDE: cannot read %s\n", path.c_str());
                continue;  // not cached: a later load tries again
            }
            std::ostringstream text;
            text << in.rdbuf();
            OverrideFile f{text.str(), {}};
            f.entries = entry_names(f.text);
            it = files.emplace(path, std::move(f)).first;
        }
        if (!mine.empty() && it->second.entries == mine) {
            std::string names;
            for (const auto& n : mine) names += (names.empty() ? "" : " ") + n;
            std::fprintf(stderr, "ptxsim: module with entries %s replaced by %s\n", names.c_str(), path.c_str());
            ptx = it->second.text;
            return path;
        }
    }
    return "";
}

CUresult load(CUmodule* module, const void* image, const JitLogs& logs) {
    if (module == nullptr || image == nullptr) return CUDA_ERROR_INVALID_VALUE;
    CUctx_st* c = nullptr;
    if (CUresult rc = require_context(&c); rc != CUDA_SUCCESS) return rc;
    if (c->sticky != CUDA_SUCCESS) return c->sticky;
    if (CUresult rc = check_unsafe_call(); rc != CUDA_SUCCESS) return rc;
    const ptxsim::DeviceModel& d = model(c->device);
    ptxsim::fatbin::Extracted x = ptxsim::fatbin::extract_ptx(image, d.cc_major * 10 + d.cc_minor);
    if (x.status != CUDA_SUCCESS) {
        std::fprintf(stderr, "ptxsim: cuModuleLoadData: %s\n", x.error.c_str());
        logs.set_error(x.error);
        return x.status;
    }
    // Before the cache lookup, so that the cache keys on the text actually parsed.
    if (std::string path = apply_ptx_override(x.ptx); !path.empty()) x.description = "override PTX " + path;
    auto& bucket = state().module_cache[{fnv1a(x.ptx), d.name}];
    std::shared_ptr<ModuleEntry> entry;
    for (const auto& e : bucket) {
        if (e->ptx == x.ptx) entry = e;
    }
    if (entry == nullptr) {
        auto fresh = std::make_shared<ModuleEntry>();
        fresh->ptx = std::move(x.ptx);
        fresh->description = x.description;
        fresh->model = d.name;
        try {
            fresh->module = ptxsim::load_module(fresh->ptx, d);
        } catch (const std::bad_alloc&) {
            throw;
        } catch (const std::exception& e) {
            const std::string msg = std::string("ptxsim: cannot load the ") + x.description + ": " + e.what();
            std::fprintf(stderr, "%s\n", msg.c_str());
            logs.set_error(msg);
            return CUDA_ERROR_INVALID_PTX;
        }
        if (fresh->module == nullptr) {
            logs.set_error("ptxsim: the simulator returned no module");
            return CUDA_ERROR_INVALID_PTX;
        }
        bucket.push_back(fresh);
        entry = std::move(fresh);
    }
    logs.set_info("ptxsim: loaded " + entry->description);
    auto* m = new CUmod_st();
    m->ctx = c;
    m->entry = std::move(entry);
    c->modules.insert(m);
    add_live(m);
    *module = m;
    return CUDA_SUCCESS;
}

int target_arch(const ptxsim::LoadedModule& m) {
    const std::string& t = ptxsim::module_ir(m).target;  // "sm_90a"
    int v = 0;
    for (char ch : t) {
        if (ch >= '0' && ch <= '9') v = v * 10 + (ch - '0');
        else if (v > 0) break;
    }
    return v;
}

const ptxsim::DeviceModel& model_of(CUfunction f) { return model(f->module->ctx->device); }

// Cluster dims a function requires: compiled in (.reqnctapercluster) or set at run time.
void required_cluster(CUfunction f, unsigned out[3]) {
    const auto* fn = f->info->fn;
    for (int i = 0; i < 3; ++i) out[i] = fn != nullptr && fn->reqnctapercluster[0] != 0 ? fn->reqnctapercluster[i] : 0;
    if (out[0] == 0) {
        for (int i = 0; i < 3; ++i) out[i] = f->required_cluster[i];
    }
}

struct Dims {
    unsigned grid[3];
    unsigned block[3];
    unsigned smem;
};

CUresult launch(CUfunction f, const Dims& dims, CUstream hstream, void** params, void** extra,
                const CUlaunchAttribute* attrs, unsigned num_attrs) {
    if (!live(f)) return CUDA_ERROR_INVALID_HANDLE;
    CUstream_st* s = nullptr;
    if (CUresult rc = resolve_stream(hstream, &s); rc != CUDA_SUCCESS) return rc;
    if (s->ctx->sticky != CUDA_SUCCESS) return s->ctx->sticky;
    if (!context_alive(f->module->ctx)) return CUDA_ERROR_INVALID_HANDLE;
    if (f->module->ctx != s->ctx) return CUDA_ERROR_INVALID_HANDLE;  // a function of another context
    const ptxsim::DeviceModel& d = model(s->ctx->device);
    const ptxsim::KernelInfo& k = *f->info;
    const ptxsim::ptx::Function* fn = k.fn;

    // Grid and block.
    for (int i = 0; i < 3; ++i) {
        if (dims.grid[i] == 0 || dims.block[i] == 0) return CUDA_ERROR_INVALID_VALUE;
    }
    if (dims.grid[0] > 2147483647u || dims.grid[1] > 65535u || dims.grid[2] > 65535u) return CUDA_ERROR_INVALID_VALUE;
    if (dims.block[0] > 1024u || dims.block[1] > 1024u || dims.block[2] > 64u) return CUDA_ERROR_INVALID_VALUE;
    const uint64_t threads = uint64_t(dims.block[0]) * dims.block[1] * dims.block[2];
    if (threads > uint64_t(d.max_threads_per_block) || threads > k.max_threads) return CUDA_ERROR_INVALID_VALUE;
    if (fn != nullptr && fn->reqntid[0] != 0) {
        const uint64_t req = uint64_t(fn->reqntid[0]) * std::max(1u, fn->reqntid[1]) * std::max(1u, fn->reqntid[2]);
        if (threads != req) return CUDA_ERROR_INVALID_VALUE;
    }
    // Dynamic shared memory: up to what cuFuncSetAttribute allowed.
    if (dims.smem > static_cast<unsigned>(f->max_dynamic_smem)) return CUDA_ERROR_INVALID_VALUE;
    if (uint64_t(dims.smem) + k.static_smem_bytes > uint64_t(d.smem_per_block_optin)) return CUDA_ERROR_INVALID_VALUE;

    // Launch attributes.
    unsigned cluster[3] = {1, 1, 1};
    bool cluster_given = false, cooperative = false;
    if (attrs == nullptr && num_attrs > 0) return CUDA_ERROR_INVALID_VALUE;
    for (unsigned i = 0; i < num_attrs; ++i) {
        const CUlaunchAttribute& a = attrs[i];
        switch (a.id) {
            case CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION:
                cluster[0] = a.value.clusterDim.x;
                cluster[1] = a.value.clusterDim.y;
                cluster[2] = a.value.clusterDim.z;
                cluster_given = true;
                break;
            case CU_LAUNCH_ATTRIBUTE_COOPERATIVE: cooperative = a.value.cooperative != 0; break;
            default: break;  // PDL, priority, access policy, memory sync domains ...: nothing to model
        }
    }
    unsigned required[3];
    required_cluster(f, required);
    if (required[0] != 0) {
        if (cluster_given && (cluster[0] != required[0] || cluster[1] != std::max(1u, required[1]) ||
                              cluster[2] != std::max(1u, required[2]))) {
            return CUDA_ERROR_INVALID_CLUSTER_SIZE;
        }
        for (int i = 0; i < 3; ++i) cluster[i] = std::max(1u, required[i]);
        cluster_given = true;
    }
    if (cluster_given) {
        if (cluster[0] == 0 || cluster[1] == 0 || cluster[2] == 0) return CUDA_ERROR_INVALID_CLUSTER_SIZE;
        const uint64_t size = uint64_t(cluster[0]) * cluster[1] * cluster[2];
        if (size > 1 && !d.has_clusters()) return CUDA_ERROR_INVALID_CLUSTER_SIZE;
        for (int i = 0; i < 3; ++i) {
            if (dims.grid[i] % cluster[i] != 0) return CUDA_ERROR_INVALID_CLUSTER_SIZE;
        }
        const unsigned limit = f->non_portable_cluster ? 16u : static_cast<unsigned>(d.max_cluster_size);
        if (size > std::max(1u, limit)) return CUDA_ERROR_INVALID_CLUSTER_SIZE;
    } else if (fn != nullptr && fn->explicitcluster) {
        return CUDA_ERROR_INVALID_CLUSTER_SIZE;  // .explicitcluster kernels need a cluster launch
    }
    const int per_sm = blocks_per_sm(d, k, static_cast<unsigned>(threads), dims.smem);
    if (per_sm == 0) return CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES;
    const unsigned cluster_size = cluster[0] * cluster[1] * cluster[2];
    if (cluster_size > 1 && max_active_clusters(d, per_sm, cluster_size) == 0) {
        return CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES;
    }
    if (cooperative) {
        const uint64_t blocks = uint64_t(dims.grid[0]) * dims.grid[1] * dims.grid[2];
        if (blocks > uint64_t(per_sm) * d.sm_count) return CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE;
    }

    // Parameters, laid out as the entry declares them.
    Op op;
    op.kind = OpKind::Kernel;
    op.module = f->module->entry;
    op.kernel_name = f->name;
    ptxsim::LaunchConfig& lc = op.launch;
    lc.module = op.module->module.get();
    lc.kernel = &k;
    for (int i = 0; i < 3; ++i) {
        lc.grid[i] = dims.grid[i];
        lc.block[i] = dims.block[i];
        lc.cluster[i] = cluster[i];
    }
    lc.dyn_smem = dims.smem;
    lc.device = s->ctx->device;
    const uint32_t param_bytes = fn != nullptr ? fn->param_bytes : 0;
    lc.params.assign(param_bytes, 0);
    if (params != nullptr && extra != nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (params != nullptr) {
        for (size_t i = 0; fn != nullptr && i < fn->params.size(); ++i) {
            const auto& p = fn->params[i];
            if (params[i] == nullptr) return CUDA_ERROR_INVALID_VALUE;
            if (uint64_t(p.offset) + p.size > param_bytes) return CUDA_ERROR_INVALID_VALUE;
            std::memcpy(lc.params.data() + p.offset, params[i], p.size);
        }
    } else if (extra != nullptr) {
        const void* buffer = nullptr;
        size_t buffer_size = 0;
        bool have_size = false;
        for (size_t i = 0; extra[i] != CU_LAUNCH_PARAM_END; i += 2) {
            if (extra[i] == CU_LAUNCH_PARAM_BUFFER_POINTER) {
                buffer = extra[i + 1];
            } else if (extra[i] == CU_LAUNCH_PARAM_BUFFER_SIZE) {
                if (extra[i + 1] == nullptr) return CUDA_ERROR_INVALID_VALUE;
                buffer_size = *static_cast<const size_t*>(extra[i + 1]);
                have_size = true;
            } else {
                return CUDA_ERROR_INVALID_VALUE;
            }
        }
        if (param_bytes > 0 && (buffer == nullptr || !have_size || buffer_size < param_bytes)) {
            return CUDA_ERROR_INVALID_VALUE;
        }
        if (param_bytes > 0) std::memcpy(lc.params.data(), buffer, param_bytes);
    } else if (fn != nullptr && !fn->params.empty()) {
        return CUDA_ERROR_INVALID_VALUE;  // the kernel takes parameters and the launch passes none
    }
    return submit(s, std::move(op));
}

CUresult occupancy_blocks(int* numBlocks, CUfunction func, int blockSize, size_t dynamicSMemSize) {
    if (numBlocks == nullptr || blockSize <= 0) return CUDA_ERROR_INVALID_VALUE;
    if (!live(func)) return CUDA_ERROR_INVALID_HANDLE;
    const auto& d = model_of(func);
    if (static_cast<unsigned>(blockSize) > func->info->max_threads || blockSize > d.max_threads_per_block) {
        *numBlocks = 0;
        return CUDA_SUCCESS;
    }
    if (dynamicSMemSize + func->info->static_smem_bytes > static_cast<size_t>(d.smem_per_block_optin)) {
        *numBlocks = 0;
        return CUDA_SUCCESS;
    }
    *numBlocks = blocks_per_sm(d, *func->info, static_cast<unsigned>(blockSize), dynamicSMemSize);
    return CUDA_SUCCESS;
}

// The cluster size of an occupancy query: from the config's attribute, else
// what the function requires. 0 when neither says.
CUresult config_cluster(CUfunction f, const CUlaunchConfig* config, unsigned* size) {
    unsigned dims[3] = {0, 0, 0};
    for (unsigned i = 0; config->attrs != nullptr && i < config->numAttrs; ++i) {
        if (config->attrs[i].id == CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION) {
            dims[0] = config->attrs[i].value.clusterDim.x;
            dims[1] = config->attrs[i].value.clusterDim.y;
            dims[2] = config->attrs[i].value.clusterDim.z;
        }
    }
    unsigned required[3];
    required_cluster(f, required);
    if (dims[0] == 0 && required[0] != 0) {
        for (int i = 0; i < 3; ++i) dims[i] = std::max(1u, required[i]);
    }
    if (dims[0] == 0) {
        *size = 0;
        return CUDA_SUCCESS;
    }
    if (dims[1] == 0 || dims[2] == 0) return CUDA_ERROR_INVALID_CLUSTER_SIZE;
    *size = dims[0] * dims[1] * dims[2];
    return CUDA_SUCCESS;
}

unsigned block_threads(const CUlaunchConfig* c) { return c->blockDimX * c->blockDimY * c->blockDimZ; }

}  // namespace

// ---- modules ----

CUresult CUDAAPI cuModuleLoadData(CUmodule* module, const void* image) {
    return initialized([&] { return load(module, image, JitLogs(0, nullptr, nullptr)); });
}

CUresult CUDAAPI cuModuleLoadDataEx(CUmodule* module, const void* image, unsigned int numOptions, CUjit_option* options,
                                    void** optionValues) {
    return initialized([&] { return load(module, image, JitLogs(numOptions, options, optionValues)); });
}

CUresult CUDAAPI cuModuleLoadFatBinary(CUmodule* module, const void* fatCubin) {
    return initialized([&] { return load(module, fatCubin, JitLogs(0, nullptr, nullptr)); });
}

CUresult CUDAAPI cuModuleUnload(CUmodule hmod) {
    return initialized([&]() -> CUresult {
        if (!live(hmod)) return CUDA_ERROR_INVALID_HANDLE;
        if (CUresult rc = check_unsafe_call(); rc != CUDA_SUCCESS) return rc;
        const CUresult sticky = hmod->ctx->sticky;
        destroy_module(hmod);  // the parsed module stays cached for the next load
        return sticky;
    });
}

CUresult CUDAAPI cuModuleGetFunction(CUfunction* hfunc, CUmodule hmod, const char* name) {
    return initialized([&]() -> CUresult {
        if (hfunc == nullptr || name == nullptr) return CUDA_ERROR_INVALID_VALUE;
        if (!live(hmod)) return CUDA_ERROR_INVALID_HANDLE;
        if (auto it = hmod->functions.find(name); it != hmod->functions.end()) {
            *hfunc = it->second.get();
            return CUDA_SUCCESS;
        }
        const ptxsim::KernelInfo* info = ptxsim::find_kernel(*hmod->entry->module, name);
        if (info == nullptr) return CUDA_ERROR_NOT_FOUND;
        auto f = std::make_unique<CUfunc_st>();
        f->module = hmod;
        f->info = info;
        f->name = name;
        const auto& d = model(hmod->ctx->device);
        f->max_dynamic_smem = std::max(0, d.smem_per_block - static_cast<int>(info->static_smem_bytes));
        add_live(f.get());
        *hfunc = f.get();
        hmod->functions.emplace(name, std::move(f));
        return CUDA_SUCCESS;
    });
}

// ---- functions ----

CUresult CUDAAPI cuFuncGetAttribute(int* pi, CUfunction_attribute attrib, CUfunction hfunc) {
    return initialized([&]() -> CUresult {
        if (pi == nullptr) return CUDA_ERROR_INVALID_VALUE;
        if (!live(hfunc)) return CUDA_ERROR_INVALID_HANDLE;
        const ptxsim::KernelInfo& k = *hfunc->info;
        const auto& d = model_of(hfunc);
        unsigned required[3];
        required_cluster(hfunc, required);
        switch (attrib) {
            case CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK:
                *pi = static_cast<int>(std::min<unsigned>(k.max_threads, static_cast<unsigned>(d.max_threads_per_block)));
                return CUDA_SUCCESS;
            case CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES: *pi = static_cast<int>(k.static_smem_bytes); return CUDA_SUCCESS;
            case CU_FUNC_ATTRIBUTE_CONST_SIZE_BYTES: *pi = static_cast<int>(k.const_bytes); return CUDA_SUCCESS;
            case CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES: *pi = static_cast<int>(k.local_bytes); return CUDA_SUCCESS;
            case CU_FUNC_ATTRIBUTE_NUM_REGS: *pi = static_cast<int>(k.num_regs); return CUDA_SUCCESS;
            case CU_FUNC_ATTRIBUTE_PTX_VERSION: *pi = target_arch(*hfunc->module->entry->module); return CUDA_SUCCESS;
            case CU_FUNC_ATTRIBUTE_BINARY_VERSION: *pi = d.cc_major * 10 + d.cc_minor; return CUDA_SUCCESS;
            case CU_FUNC_ATTRIBUTE_CACHE_MODE_CA: *pi = 0; return CUDA_SUCCESS;
            case CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES: *pi = hfunc->max_dynamic_smem; return CUDA_SUCCESS;
            case CU_FUNC_ATTRIBUTE_PREFERRED_SHARED_MEMORY_CARVEOUT: *pi = hfunc->carveout; return CUDA_SUCCESS;
            case CU_FUNC_ATTRIBUTE_CLUSTER_SIZE_MUST_BE_SET:
                *pi = (k.fn != nullptr && k.fn->explicitcluster) ? 1 : 0;
                return CUDA_SUCCESS;
            case CU_FUNC_ATTRIBUTE_REQUIRED_CLUSTER_WIDTH: *pi = static_cast<int>(required[0]); return CUDA_SUCCESS;
            case CU_FUNC_ATTRIBUTE_REQUIRED_CLUSTER_HEIGHT: *pi = static_cast<int>(required[1]); return CUDA_SUCCESS;
            case CU_FUNC_ATTRIBUTE_REQUIRED_CLUSTER_DEPTH: *pi = static_cast<int>(required[2]); return CUDA_SUCCESS;
            case CU_FUNC_ATTRIBUTE_NON_PORTABLE_CLUSTER_SIZE_ALLOWED:
                *pi = d.has_clusters() ? hfunc->non_portable_cluster : 0;
                return CUDA_SUCCESS;
            case CU_FUNC_ATTRIBUTE_CLUSTER_SCHEDULING_POLICY_PREFERENCE:
                *pi = hfunc->cluster_scheduling;
                return CUDA_SUCCESS;
            default: return CUDA_ERROR_INVALID_VALUE;
        }
    });
}

CUresult CUDAAPI cuFuncSetAttribute(CUfunction hfunc, CUfunction_attribute attrib, int value) {
    return initialized([&]() -> CUresult {
        if (!live(hfunc)) return CUDA_ERROR_INVALID_HANDLE;
        const ptxsim::KernelInfo& k = *hfunc->info;
        const auto& d = model_of(hfunc);
        switch (attrib) {
            case CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES:
                if (value < 0 || uint64_t(value) + k.static_smem_bytes > uint64_t(d.smem_per_block_optin)) {
                    return CUDA_ERROR_INVALID_VALUE;
                }
                hfunc->max_dynamic_smem = value;
                hfunc->max_dynamic_smem_set = true;
                return CUDA_SUCCESS;
            case CU_FUNC_ATTRIBUTE_PREFERRED_SHARED_MEMORY_CARVEOUT:
                if (value < -1 || value > 100) return CUDA_ERROR_INVALID_VALUE;
                hfunc->carveout = value;
                return CUDA_SUCCESS;
            case CU_FUNC_ATTRIBUTE_REQUIRED_CLUSTER_WIDTH:
            case CU_FUNC_ATTRIBUTE_REQUIRED_CLUSTER_HEIGHT:
            case CU_FUNC_ATTRIBUTE_REQUIRED_CLUSTER_DEPTH: {
                if (k.fn != nullptr && k.fn->reqnctapercluster[0] != 0) return CUDA_ERROR_NOT_PERMITTED;
                if (value < 0) return CUDA_ERROR_INVALID_VALUE;
                hfunc->required_cluster[attrib - CU_FUNC_ATTRIBUTE_REQUIRED_CLUSTER_WIDTH] = static_cast<unsigned>(value);
                return CUDA_SUCCESS;
            }
            case CU_FUNC_ATTRIBUTE_NON_PORTABLE_CLUSTER_SIZE_ALLOWED:
                if (value != 0 && value != 1) return CUDA_ERROR_INVALID_VALUE;
                if (!d.has_clusters() && value != 0) return CUDA_ERROR_NOT_SUPPORTED;
                hfunc->non_portable_cluster = value;
                return CUDA_SUCCESS;
            case CU_FUNC_ATTRIBUTE_CLUSTER_SCHEDULING_POLICY_PREFERENCE:
                if (value < 0 || value > 2) return CUDA_ERROR_INVALID_VALUE;
                hfunc->cluster_scheduling = value;
                return CUDA_SUCCESS;
            case CU_FUNC_ATTRIBUTE_CLUSTER_SIZE_MUST_BE_SET:
            default:
                return CUDA_ERROR_INVALID_VALUE;  // read-only
        }
    });
}

CUresult CUDAAPI cuFuncSetCacheConfig(CUfunction hfunc, CUfunc_cache config) {
    return initialized([&]() -> CUresult {
        if (!live(hfunc)) return CUDA_ERROR_INVALID_HANDLE;
        if (config < CU_FUNC_CACHE_PREFER_NONE || config > CU_FUNC_CACHE_PREFER_EQUAL) return CUDA_ERROR_INVALID_VALUE;
        hfunc->cache_config = config;
        return CUDA_SUCCESS;
    });
}

CUresult CUDAAPI cuFuncGetParamInfo(CUfunction func, size_t paramIndex, size_t* paramOffset, size_t* paramSize) {
    return initialized([&]() -> CUresult {
        if (paramOffset == nullptr) return CUDA_ERROR_INVALID_VALUE;
        if (!live(func)) return CUDA_ERROR_INVALID_HANDLE;
        const auto* fn = func->info->fn;
        if (fn == nullptr || paramIndex >= fn->params.size()) return CUDA_ERROR_INVALID_VALUE;
        *paramOffset = fn->params[paramIndex].offset;
        if (paramSize != nullptr) *paramSize = fn->params[paramIndex].size;
        return CUDA_SUCCESS;
    });
}

CUresult CUDAAPI cuFuncGetName(const char** name, CUfunction hfunc) {
    return initialized([&]() -> CUresult {
        if (name == nullptr) return CUDA_ERROR_INVALID_VALUE;
        if (!live(hfunc)) return CUDA_ERROR_INVALID_HANDLE;
        *name = hfunc->name.c_str();
        return CUDA_SUCCESS;
    });
}

CUresult CUDAAPI cuFuncGetModule(CUmodule* hmod, CUfunction hfunc) {
    return initialized([&]() -> CUresult {
        if (hmod == nullptr) return CUDA_ERROR_INVALID_VALUE;
        if (!live(hfunc)) return CUDA_ERROR_INVALID_HANDLE;
        *hmod = hfunc->module;
        return CUDA_SUCCESS;
    });
}

// ---- launches ----

CUresult CUDAAPI cuLaunchKernel(CUfunction f, unsigned int gridDimX, unsigned int gridDimY, unsigned int gridDimZ,
                                unsigned int blockDimX, unsigned int blockDimY, unsigned int blockDimZ,
                                unsigned int sharedMemBytes, CUstream hStream, void** kernelParams, void** extra) {
    return initialized([&]() -> CUresult {
        const Dims dims{{gridDimX, gridDimY, gridDimZ}, {blockDimX, blockDimY, blockDimZ}, sharedMemBytes};
        return launch(f, dims, hStream, kernelParams, extra, nullptr, 0);
    });
}

CUresult CUDAAPI cuLaunchKernelEx(const CUlaunchConfig* config, CUfunction f, void** kernelParams, void** extra) {
    return initialized([&]() -> CUresult {
        if (config == nullptr) return CUDA_ERROR_INVALID_VALUE;
        const Dims dims{{config->gridDimX, config->gridDimY, config->gridDimZ},
                        {config->blockDimX, config->blockDimY, config->blockDimZ},
                        config->sharedMemBytes};
        return launch(f, dims, config->hStream, kernelParams, extra, config->attrs, config->numAttrs);
    });
}

// ---- occupancy ----

CUresult CUDAAPI cuOccupancyMaxActiveBlocksPerMultiprocessor(int* numBlocks, CUfunction func, int blockSize,
                                                             size_t dynamicSMemSize) {
    return initialized([&] { return occupancy_blocks(numBlocks, func, blockSize, dynamicSMemSize); });
}

CUresult CUDAAPI cuOccupancyMaxActiveBlocksPerMultiprocessorWithFlags(int* numBlocks, CUfunction func, int blockSize,
                                                                      size_t dynamicSMemSize, unsigned int flags) {
    return initialized([&]() -> CUresult {
        if ((flags & ~static_cast<unsigned>(CU_OCCUPANCY_DISABLE_CACHING_OVERRIDE)) != 0) {
            return CUDA_ERROR_INVALID_VALUE;
        }
        return occupancy_blocks(numBlocks, func, blockSize, dynamicSMemSize);
    });
}

CUresult CUDAAPI cuOccupancyAvailableDynamicSMemPerBlock(size_t* dynamicSmemSize, CUfunction func, int numBlocks,
                                                         int blockSize) {
    return initialized([&]() -> CUresult {
        if (dynamicSmemSize == nullptr || numBlocks <= 0 || blockSize <= 0) return CUDA_ERROR_INVALID_VALUE;
        if (!live(func)) return CUDA_ERROR_INVALID_HANDLE;
        const auto& d = model_of(func);
        const int64_t per_block = d.smem_per_sm / numBlocks - d.reserved_smem_per_block -
                                  static_cast<int64_t>(func->info->static_smem_bytes);
        const int64_t cap = d.smem_per_block_optin - static_cast<int64_t>(func->info->static_smem_bytes);
        *dynamicSmemSize = static_cast<size_t>(std::max<int64_t>(0, std::min(per_block, cap)));
        return CUDA_SUCCESS;
    });
}

CUresult CUDAAPI cuOccupancyMaxActiveClusters(int* numClusters, CUfunction func, const CUlaunchConfig* config) {
    return initialized([&]() -> CUresult {
        if (numClusters == nullptr || config == nullptr) return CUDA_ERROR_INVALID_VALUE;
        if (!live(func)) return CUDA_ERROR_INVALID_HANDLE;
        if (failure_injected("cuOccupancyMaxActiveClusters")) return CUDA_ERROR_UNKNOWN;
        const auto& d = model_of(func);
        unsigned size = 0;
        if (CUresult rc = config_cluster(func, config, &size); rc != CUDA_SUCCESS) return rc;
        if (size == 0) return CUDA_ERROR_INVALID_CLUSTER_SIZE;  // no cluster size given or required
        if (size > 1 && !d.has_clusters()) return CUDA_ERROR_INVALID_CLUSTER_SIZE;
        const unsigned limit = func->non_portable_cluster ? 16u : static_cast<unsigned>(d.max_cluster_size);
        if (size > std::max(1u, limit)) return CUDA_ERROR_INVALID_CLUSTER_SIZE;
        const unsigned threads = block_threads(config);
        if (threads == 0 || threads > func->info->max_threads) return CUDA_ERROR_INVALID_VALUE;
        if (config->sharedMemBytes > static_cast<unsigned>(func->max_dynamic_smem)) return CUDA_ERROR_INVALID_VALUE;
        const int per_sm = blocks_per_sm(d, *func->info, threads, config->sharedMemBytes);
        *numClusters = max_active_clusters(d, per_sm, size);
        return CUDA_SUCCESS;
    });
}

CUresult CUDAAPI cuOccupancyMaxPotentialClusterSize(int* clusterSize, CUfunction func, const CUlaunchConfig* config) {
    return initialized([&]() -> CUresult {
        if (clusterSize == nullptr || config == nullptr) return CUDA_ERROR_INVALID_VALUE;
        if (!live(func)) return CUDA_ERROR_INVALID_HANDLE;
        const auto& d = model_of(func);
        const unsigned threads = block_threads(config);
        if (threads == 0 || threads > func->info->max_threads) return CUDA_ERROR_INVALID_VALUE;
        if (!d.has_clusters()) {
            *clusterSize = 1;
            return CUDA_SUCCESS;
        }
        const int per_sm = blocks_per_sm(d, *func->info, threads, config->sharedMemBytes);
        int best = 0;
        const int limit = func->non_portable_cluster ? 16 : d.max_cluster_size;
        for (int size = 1; size <= limit; ++size) {
            if (max_active_clusters(d, per_sm, static_cast<unsigned>(size)) > 0) best = size;
        }
        *clusterSize = best;
        return CUDA_SUCCESS;
    });
}

// ---- tensor maps ----

CUresult CUDAAPI cuTensorMapEncodeTiled(CUtensorMap* tensorMap, CUtensorMapDataType tensorDataType,
                                        cuuint32_t tensorRank, void* globalAddress, const cuuint64_t* globalDim,
                                        const cuuint64_t* globalStrides, const cuuint32_t* boxDim,
                                        const cuuint32_t* elementStrides, CUtensorMapInterleave interleave,
                                        CUtensorMapSwizzle swizzle, CUtensorMapL2promotion l2Promotion,
                                        CUtensorMapFloatOOBfill oobFill) {
    return initialized([&]() -> CUresult {
        if (tensorMap == nullptr) return CUDA_ERROR_INVALID_VALUE;
        return ptxsim::encode_tensor_map_tiled(tensorMap, tensorDataType, tensorRank, globalAddress, globalDim,
                                               globalStrides, boxDim, elementStrides, interleave, swizzle,
                                               l2Promotion, oobFill);
    });
}
