// Keeps the most recently built value, so that consecutive cases with the
// same inputs (the impls of one case, registered one after the other) build
// and upload them once. It holds one value at a time: the previous one is
// dropped before the next is built, so device memory does not pile up.
#pragma once

#include <memory>
#include <optional>

namespace ptxkit::bench {

template <class Key, class Value>
class LastValueCache {
public:
    // The cached value when `key` matches, else make() (a shared_ptr<Value>).
    template <class Make>
    std::shared_ptr<Value> get(const Key& key, Make make) {
        if (value_ && key_ == key) return value_;
        value_.reset();
        key_.reset();
        value_ = make();
        key_ = key;
        return value_;
    }

private:
    std::optional<Key> key_;
    std::shared_ptr<Value> value_;
};

}  // namespace ptxkit::bench
