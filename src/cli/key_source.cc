#include "cli/key_source.h"

#include <termios.h>
#include <unistd.h>

namespace kura::cli {
namespace {

// Turns terminal echo off while custodians paste their components, so a
// component never stays visible on screen or in a terminal's scrollback.
class NoEchoKeyProvider final : public keyring::KeyProvider {
 public:
  explicit NoEchoKeyProvider(std::unique_ptr<keyring::KeyProvider> inner)
      : inner_(std::move(inner)) {}
  Result<SecretBytes> LoadKek() override {
    termios saved{};
    const bool tty = isatty(STDIN_FILENO) == 1 && tcgetattr(STDIN_FILENO, &saved) == 0;
    if (tty) {
      termios quiet = saved;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    Result<SecretBytes> kek = inner_->LoadKek();
    if (tty) tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    return kek;
  }

 private:
  std::unique_ptr<keyring::KeyProvider> inner_;
};

}  // namespace

void AddKeySourceFlags(CLI::App& cmd, KeySourceFlags& flags) {
  cmd.add_option("--component", flags.component_files,
                 "A custodian's key component file (repeat for each custodian)");
  cmd.add_flag("--prompt-components", flags.prompt,
               "Ask custodians to paste their components on the terminal");
}

Result<std::unique_ptr<keyring::KeyProvider>> MakeKeyProvider(CliContext& ctx,
                                                              const vault::VaultConfig& config,
                                                              const KeySourceFlags& flags) {
  if (flags.prompt) {
    return std::unique_ptr<keyring::KeyProvider>(std::make_unique<NoEchoKeyProvider>(
        std::make_unique<keyring::PromptKeyProvider>(ctx.in, ctx.err)));
  }
  std::vector<std::string> files = flags.component_files;
  if (files.empty()) {
    for (const std::string& f : config.component_files) files.push_back(config.InDataDir(f));
  }
  if (files.empty()) {
    return FailedPreconditionError(
        "the master key is needed: pass --component FILE once per custodian, list them in "
        "[keys] components, or use --prompt-components");
  }
  return std::unique_ptr<keyring::KeyProvider>(
      std::make_unique<keyring::ComponentFilesKeyProvider>(ctx.fs, std::move(files)));
}

}  // namespace kura::cli
